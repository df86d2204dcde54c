package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import java.util.Deque;

/** A UNet decoder stage; pops one skip connection per resnet (deepest last pushed first). */
interface UNetUpBlock {

	/** @param upsampleSize spatial size [H, W] to upsample to, or null when the block does not upsample */
	NDArray forward(NDArray x, NDArray temb, NDArray context, Deque<NDArray> skips, long[] upsampleSize);

	int layers();

	static UNetUpBlock create(String type, BlockSpec s) {
		return switch (type) {
			case "CrossAttnUpBlock2D" -> new CrossAttnUpBlock2D(s);
			case "UpBlock2D" -> new UpBlock2D(s);
			default -> throw new IllegalArgumentException("unknown UNet up block type '" + type + "'");
		};
	}
}
