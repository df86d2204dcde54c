package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** diffusers VAE {@code Decoder}: latents [B, L, h, w] (after post_quant_conv) -> image [B, 3, h·f, w·f]. */
public final class Decoder extends Module {

	private final Conv2d convIn;
	private final UNetMidBlock2D midBlock;
	private final List<UpDecoderBlock2D> upBlocks = new ArrayList<>();
	private final GroupNorm convNormOut;
	private final Conv2d convOut;

	Decoder(AutoencoderKLConfig c) {
		List<Integer> ch = c.blockOutChannels();
		int n = ch.size();
		int g = c.normNumGroups();
		double eps = Encoder.EPS;
		convIn = child("conv_in", new Conv2d(c.latentChannels(), ch.get(n - 1), 3, 1, 1));
		midBlock = child("mid_block", new UNetMidBlock2D(ch.get(n - 1), g, eps));
		long out = ch.get(n - 1);
		for (int i = 0; i < n; i++) {
			long prev = out;
			out = ch.get(n - 1 - i);
			upBlocks.add(child("up_blocks." + i, new UpDecoderBlock2D(prev, out, c.layersPerBlock() + 1, i < n - 1, g,
				eps)));
		}
		convNormOut = child("conv_norm_out", new GroupNorm(g, ch.get(0), eps));
		convOut = child("conv_out", new Conv2d(ch.get(0), c.outChannels(), 3, 1, 1));
	}

	NDArray forward(NDArray z) {
		return BlockScope.run(() -> {
			NDArray h = convIn.forward(z);
			NDArray x = midBlock.forward(h);
			BlockScope.free(h);
			for (UpDecoderBlock2D b : upBlocks) {
				NDArray next = b.forward(x);
				BlockScope.free(x);
				x = next;
			}
			NDArray a = convNormOut.forwardSilu(x);
			BlockScope.free(x);
			NDArray out = convOut.forward(a);
			BlockScope.free(a);
			return out;
		});
	}
}
