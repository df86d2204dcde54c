package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.unet.Downsample2D;
import io.github.diffusej.model.unet.ResnetBlock2D;
import java.util.ArrayList;
import java.util.List;

/** diffusers {@code DownEncoderBlock2D}: resnets, then an asymmetric-padding stride-2 conv unless last. */
public final class DownEncoderBlock2D extends Module {

	private final List<ResnetBlock2D> resnets = new ArrayList<>();
	private final Downsample2D downsampler;

	DownEncoderBlock2D(long in, long out, int layers, boolean downsample, int groups, double eps) {
		for (int j = 0; j < layers; j++) {
			resnets.add(child("resnets." + j, new ResnetBlock2D(j == 0 ? in : out, out, 0, groups, eps)));
		}
		downsampler = downsample ? child("downsamplers.0", new Downsample2D(out, 0)) : null;
	}

	NDArray forward(NDArray x) {
		return BlockScope.run(() -> {
			NDArray h = x;
			for (ResnetBlock2D r : resnets) {
				NDArray next = r.forward(h, null);
				if (h != x) BlockScope.free(h);
				h = next;
			}
			if (downsampler == null) return h;
			NDArray down = downsampler.forward(h);
			BlockScope.free(h);
			return down;
		});
	}
}
