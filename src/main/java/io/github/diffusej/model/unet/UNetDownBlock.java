package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** A UNet encoder stage. */
interface UNetDownBlock {

	/**
	 * Runs the stage in its own block scope and returns every intermediate output that the decoder takes as a skip
	 * connection, in order; the last one is the stage's output.
	 */
	NDList forward(NDArray x, NDArray temb, NDArray context);

	static UNetDownBlock create(String type, BlockSpec s) {
		return switch (type) {
			case "CrossAttnDownBlock2D" -> new CrossAttnDownBlock2D(s);
			case "DownBlock2D" -> new DownBlock2D(s);
			default -> throw new IllegalArgumentException("unknown UNet down block type '" + type + "'");
		};
	}
}
