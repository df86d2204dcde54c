package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * A layer with a {@code weight} (and optional {@code bias}) that an adapter can wrap in place: {@link Linear} and
 * {@link Conv2d}. Attaching an adapter changes no parameter key and copies nothing.
 */
public abstract sealed class AdaptableLayer extends Module permits Linear, Conv2d {

	protected final Param weight;
	protected final Param bias;
	private LayerAdapter adapter;

	protected AdaptableLayer(long[] weightShape, boolean hasBias) {
		weight = param("weight", weightShape);
		bias = hasBias ? param("bias", weightShape[0]) : null;
	}

	public Param weight() {
		return weight;
	}

	/** The bias, or null. */
	public Param bias() {
		return bias;
	}

	public long outFeatures() {
		return weight.shape().get(0);
	}

	public long inFeatures() {
		return weight.shape().get(1);
	}

	/** The layer's output: through the adapter when one is attached. */
	public final NDArray forward(NDArray x) {
		return adapter == null ? apply(x, weight.as(x)) : adapter.forward(this, x);
	}

	/** The layer's operation with an explicit weight (already in the compute dtype) and the layer's own bias. */
	public abstract NDArray apply(NDArray x, NDArray w);

	/** The layer's operation with an explicit weight and no bias (for LoRA branches shaped like this layer). */
	public abstract NDArray applyNoBias(NDArray x, NDArray w);

	public LayerAdapter adapter() {
		return adapter;
	}

	public void setAdapter(LayerAdapter a) {
		if (adapter != null) throw new IllegalStateException("layer already has an adapter; remove it first");
		adapter = a;
	}

	/** Detaches and returns the adapter (null when there was none); the frozen weight is untouched. */
	public LayerAdapter removeAdapter() {
		LayerAdapter a = adapter;
		adapter = null;
		return a;
	}

	/** Folds the adapter into the weight ({@code W <- merged}) and removes it. */
	public void mergeAdapter() {
		if (adapter == null) throw new IllegalStateException("no adapter to merge");
		weight.set(adapter.mergedWeight(this));
		adapter = null;
	}
}
