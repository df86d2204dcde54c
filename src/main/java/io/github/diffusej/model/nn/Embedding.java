package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;

/** {@code torch.nn.Embedding}: weight [V, D]; integer ids [...] -> [..., D]. */
public final class Embedding extends Module {

	private final Param weight;

	public Embedding(long count, long dim) {
		weight = param("weight", count, dim);
	}

	public Param weight() {
		return weight;
	}

	public long count() {
		return weight.shape().get(0);
	}

	/** Row lookup; the result belongs to {@code ids}' manager. */
	public NDArray forward(NDArray ids) {
		return lookup(ids, weight.array());
	}

	/** Row lookup in any table; differentiable w.r.t. the table. */
	public static NDArray lookup(NDArray ids, NDArray table) {
		return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
	}
}
