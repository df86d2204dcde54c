package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A UNet encoder stage; appends each intermediate output to {@code skips}. */
interface UNetDownBlock {

	NDArray forward(NDArray x, NDArray temb, NDArray context, List<NDArray> skips);

	static UNetDownBlock create(String type, BlockSpec s) {
		return switch (type) {
			case "CrossAttnDownBlock2D" -> new CrossAttnDownBlock2D(s);
			case "DownBlock2D" -> new DownBlock2D(s);
			default -> throw new IllegalArgumentException("unknown UNet down block type '" + type + "'");
		};
	}
}
