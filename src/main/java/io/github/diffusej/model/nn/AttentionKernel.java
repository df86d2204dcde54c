package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * Scaled dot-product attention math, kept apart from the modules that hold the projection weights.
 *
 * <p>Legend: B batch, H heads, Tq query length, Tk key length, d head size.
 */
public interface AttentionKernel {

	/**
	 * {@code softmax(scale · q kᵀ + bias) v}.
	 *
	 * @param q [B, H, Tq, d]
	 * @param k [B, H, Tk, d]
	 * @param v [B, H, Tk, d]
	 * @param bias additive mask broadcastable to [B, H, Tq, Tk], or null
	 * @param upcast compute scores in float32 when the inputs are float16 (the softmax of fp16 inputs is always
	 *            taken in float32). Skipped while the thread records gradients ({@link GradMode#isRecording()}), since casts would cut the graph.
	 * @return [B, H, Tq, d]
	 */
	NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast);

	/** The plain reference: one [B, H, Tq, Tk] score tensor. */
	static AttentionKernel full() {
		return FullAttention.INSTANCE;
	}

	/** Query-chunked attention that keeps each score block at most {@code maxScoreElements} elements. */
	static AttentionKernel chunked(long maxScoreElements) {
		if (maxScoreElements < 1) throw new IllegalArgumentException("budget must be positive");
		return new ChunkedAttention(maxScoreElements);
	}

	/**
	 * The default: chunked with an automatic budget (a score block uses at most 1/8 of the device's free memory; on
	 * the CPU at most 16 MB, which keeps it in cache; on a GPU at most 1 GiB); equals full attention when the scores
	 * fit in one block.
	 */
	static AttentionKernel defaultKernel() {
		return ChunkedAttention.DEFAULT;
	}
}
