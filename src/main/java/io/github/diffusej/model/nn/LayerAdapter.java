package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A trainable change attached in place to one {@link AdaptableLayer} (LoRA, DoRA, ...). The layer delegates its
 * whole forward to the adapter, so both output-additive adapters ({@code y = Wx + b + s·up(down(x))}) and
 * weight-recomposing ones (DoRA: {@code y = W'x + b}) fit.
 */
public interface LayerAdapter {

	/** The adapted layer's output for input {@code x}; the layer gives access to its frozen weight and bias. */
	NDArray forward(AdaptableLayer layer, NDArray x);

	/** The weight that reproduces this adapter without it (for merging), same shape and dtype as the layer's. */
	NDArray mergedWeight(AdaptableLayer layer);

	/** The adapter's own tensors by short name (e.g. {@code lora_down.weight}), for optimizers and saving. */
	Map<String, NDArray> tensors();
}
