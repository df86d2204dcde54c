package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** diffusers VAE {@code Encoder}: image [B, 3, H, W] -> moments [B, 2L, H/f, W/f] (before quant_conv). */
public final class Encoder extends Module {

	static final double EPS = 1e-6;

	private final Conv2d convIn;
	private final List<DownEncoderBlock2D> downBlocks = new ArrayList<>();
	private final UNetMidBlock2D midBlock;
	private final GroupNorm convNormOut;
	private final Conv2d convOut;

	Encoder(AutoencoderKLConfig c) {
		List<Integer> ch = c.blockOutChannels();
		int g = c.normNumGroups();
		convIn = child("conv_in", new Conv2d(c.inChannels(), ch.get(0), 3, 1, 1));
		long out = ch.get(0);
		for (int i = 0; i < ch.size(); i++) {
			long in = out;
			out = ch.get(i);
			downBlocks.add(child("down_blocks." + i, new DownEncoderBlock2D(in, out, c.layersPerBlock(),
				i < ch.size() - 1, g, EPS)));
		}
		midBlock = child("mid_block", new UNetMidBlock2D(out, g, EPS));
		convNormOut = child("conv_norm_out", new GroupNorm(g, out, EPS));
		convOut = child("conv_out", new Conv2d(out, 2L * c.latentChannels(), 3, 1, 1));
	}

	NDArray forward(NDArray image) {
		return BlockScope.run(() -> {
			NDArray h = convIn.forward(image);
			for (DownEncoderBlock2D b : downBlocks) {
				NDArray next = b.forward(h);
				BlockScope.free(h);
				h = next;
			}
			NDArray m = midBlock.forward(h);
			BlockScope.free(h);
			NDArray a = convNormOut.forwardSilu(m);
			BlockScope.free(m);
			NDArray out = convOut.forward(a);
			BlockScope.free(a);
			return out;
		});
	}
}
