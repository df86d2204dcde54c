package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Linear}: weight [out, in], bias [out]; {@code y = x W^T + b} over the last axis. */
public final class Linear extends AdaptableLayer {

	public Linear(long in, long out, boolean bias) {
		super(new long[] {out, in}, bias);
	}

	@Override
	public NDArray apply(NDArray x, NDArray w) {
		return ai.djl.nn.core.Linear.linear(x, w, bias == null ? null : bias.as(x)).singletonOrThrow();
	}

	@Override
	public NDArray applyNoBias(NDArray x, NDArray w) {
		return ai.djl.nn.core.Linear.linear(x, w, null).singletonOrThrow();
	}
}
