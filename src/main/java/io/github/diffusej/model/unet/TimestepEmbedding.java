package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Ops;

/** diffusers {@code TimestepEmbedding}: linear_1 -> SiLU -> linear_2. */
public final class TimestepEmbedding extends Module {

	private final Linear linear1;
	private final Linear linear2;

	TimestepEmbedding(long in, long dim) {
		linear1 = child("linear_1", new Linear(in, dim, true));
		linear2 = child("linear_2", new Linear(dim, dim, true));
	}

	/** [B, in] -> [B, dim]. */
	NDArray forward(NDArray x) {
		return linear2.forward(Ops.silu(linear1.forward(x)));
	}
}
