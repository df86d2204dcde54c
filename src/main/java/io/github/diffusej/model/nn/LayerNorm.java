package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code torch.nn.LayerNorm} over the last axis (affine). */
public final class LayerNorm extends Module {

	private final long dim;
	private final float eps;
	private final Param weight;
	private final Param bias;

	public LayerNorm(long dim, double eps) {
		this.dim = dim;
		this.eps = (float) eps;
		weight = param("weight", dim);
		bias = param("bias", dim);
	}

	public NDArray forward(NDArray x) {
		return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), weight.as(x), bias.as(x), eps)
			.singletonOrThrow();
	}
}
