package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A UNet decoder stage; takes one skip connection per resnet (the deepest first). */
interface UNetUpBlock {

	/**
	 * Runs the stage in its own block scope.
	 *
	 * @param skips exactly {@link #layers()} skip connections, in the order the resnets take them
	 * @param upsampleSize spatial size [H, W] to upsample to, or null when the block does not upsample
	 */
	NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray context, long[] upsampleSize);

	int layers();

	static UNetUpBlock create(String type, BlockSpec s) {
		return switch (type) {
			case "CrossAttnUpBlock2D" -> new CrossAttnUpBlock2D(s);
			case "UpBlock2D" -> new UpBlock2D(s);
			default -> throw new IllegalArgumentException("unknown UNet up block type '" + type + "'");
		};
	}
}
