package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.Module;

/** diffusers {@code Upsample2D} with a conv: nearest-neighbour upsampling, then a 3x3 conv. */
public final class Upsample2D extends Module {

	private final Conv2d conv;

	public Upsample2D(long channels) {
		conv = child("conv", new Conv2d(channels, channels, 3, 1, 1));
	}

	/** x [B, C, H, W] -> [B, C, 2H, 2W]. */
	public NDArray forward(NDArray x) {
		return forward(x, 2 * x.getShape().get(2), 2 * x.getShape().get(3));
	}

	/** Nearest upsampling to an explicit size (diffusers' {@code upsample_size}, for odd skip sizes). */
	public NDArray forward(NDArray x, long h, long w) {
		NDArray up = x.getNDArrayInternal().interpolation(new long[] {h, w}, 0, false);
		NDArray out = conv.forward(up);
		BlockScope.free(up); // the 4x larger upsampled tensor is dead once the conv has read it
		return out;
	}
}
