package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.unet.ResnetBlock2D;
import io.github.diffusej.model.unet.Upsample2D;
import java.util.ArrayList;
import java.util.List;

/** diffusers {@code UpDecoderBlock2D}: resnets, then nearest 2x upsampling with a conv unless last. */
public final class UpDecoderBlock2D extends Module {

	private final List<ResnetBlock2D> resnets = new ArrayList<>();
	private final Upsample2D upsampler;

	UpDecoderBlock2D(long in, long out, int layers, boolean upsample, int groups, double eps) {
		for (int j = 0; j < layers; j++) {
			resnets.add(child("resnets." + j, new ResnetBlock2D(j == 0 ? in : out, out, 0, groups, eps)));
		}
		upsampler = upsample ? child("upsamplers.0", new Upsample2D(out)) : null;
	}

	NDArray forward(NDArray x) {
		return BlockScope.run(() -> {
			NDArray h = x;
			for (ResnetBlock2D r : resnets) {
				NDArray next = r.forward(h, null);
				if (h != x) BlockScope.free(h);
				h = next;
			}
			if (upsampler == null) return h;
			NDArray up = upsampler.forward(h);
			BlockScope.free(h);
			return up;
		});
	}
}
