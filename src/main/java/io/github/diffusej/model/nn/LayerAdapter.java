package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A change attached by name to an {@link AdaptableLayer} (LoRA, DoRA, ...). It never modifies the layer's frozen
 * weight: the layer composes its adapters in order ({@link AdaptableLayer} gives the exact rule) and each adapter
 * only computes its own part. There are two kinds:
 * <ul>
 * <li>{@link Additive}: a weight term {@code ΔW} ({@code W <- W + w·ΔW}, multiplier {@code w}), which the layer may
 * compute on the fly as an output term {@code w·Δ(x)} (LoRA: {@code Δ(x) = (alpha/r)·up(down(x))}) without
 * materialising it;</li>
 * <li>{@link Recomposing}: a function {@code D} of the effective weight so far ({@code W <- W + w·(D(W) − W)},
 * DoRA).</li>
 * </ul>
 * Tensors of an adapter that is not {@link #trainable()} never change, so the layer may cache what it derives from
 * them; trainable adapters are recomputed at every forward.
 */
public sealed interface LayerAdapter permits LayerAdapter.Additive, LayerAdapter.Recomposing {

	/** True when the adapter's tensors change between forwards (training): nothing derived from them is cached. */
	boolean trainable();

	/** The adapter's tensors by their file name part ({@code lora_down.weight}, {@code lora_up.weight}, ...). */
	Map<String, NDArray> tensors();

	/** An adapter whose effect is a term added to the weight (and therefore to the output). */
	non-sealed interface Additive extends LayerAdapter {

		/**
		 * {@code ΔW} (multiplier not applied), shaped like the layer's weight, in the dtype and manager of
		 * {@code like}.
		 */
		NDArray deltaWeight(AdaptableLayer layer, NDArray like);

		/**
		 * {@code Δ(x) = x ΔW^T} (conv: {@code conv(x, ΔW)} with the layer's stride and padding, no bias) computed
		 * without materialising {@code ΔW}, in the dtype and manager of {@code x}.
		 */
		NDArray deltaOutput(AdaptableLayer layer, NDArray x);
	}

	/** An adapter that recomputes the whole weight from the effective weight so far. */
	non-sealed interface Recomposing extends LayerAdapter {

		/**
		 * {@code D(w)} for the effective weight so far {@code w} (in the dtype of {@code like}), shaped like the
		 * layer's weight, in the dtype and manager of {@code like}.
		 */
		NDArray recompose(AdaptableLayer layer, NDArray w, NDArray like);

		/**
		 * The same function in factored form, when the adapter has one: {@code D(w) = (w + ΔW) ⊙ s} with one factor
		 * {@code s} per input channel that autograd treats as a constant (DoRA with kohya's axis and a detached
		 * norm). Then {@code op(x, D(w)) = op(x ⊙ s, w) + Δ(x ⊙ s)}, and training needs no weight-sized tensor in
		 * the graph. {@code w} is the effective weight so far, materialised without a graph; the scale is
		 * broadcastable against the layer's input ([1, in] or [1, in, 1, 1]) in the dtype and manager of
		 * {@code like}. Null when the adapter has no such form (then {@link #recompose} is used).
		 */
		default InputScaling inputScaling(AdaptableLayer layer, NDArray w, NDArray like) {
			return null;
		}
	}

	/** {@link Recomposing#inputScaling}'s result: the per-input-channel factor and the additive part ΔW. */
	record InputScaling(NDArray scale, Additive delta) {}
}
