package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.Module;

/**
 * diffusers {@code Downsample2D} with a conv: 3x3 stride 2. With {@code padding == 0} (the VAE encoder) the input
 * is first padded by one on the right and bottom only, as diffusers does.
 */
public final class Downsample2D extends Module {

	private final Conv2d conv;
	private final int padding;

	public Downsample2D(long channels, int padding) {
		this.padding = padding;
		conv = child("conv", new Conv2d(channels, channels, 3, 2, padding));
	}

	/** x [B, C, H, W] -> [B, C, H/2, W/2]. */
	public NDArray forward(NDArray x) {
		if (padding != 0) return conv.forward(x);
		NDArray padded = x.pad(new Shape(0, 1, 0, 1), 0); // (left, right, top, bottom) of the last two axes
		NDArray out = conv.forward(padded);
		BlockScope.free(padded);
		return out;
	}
}
