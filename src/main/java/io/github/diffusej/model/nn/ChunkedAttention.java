package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Attention computed in query chunks so that the [B, H, chunk, Tk] score block stays under a budget: 512 px
 * images (Tq = Tk = 4096 at the first UNet level) and larger fit in memory. Rows of softmax are independent, so
 * the result equals {@link FullAttention} (tested against it). Each chunk runs in its own {@link BlockScope}, so
 * its scores and softmax are freed before the next chunk starts. Works under autograd (backward then keeps each
 * chunk's softmax, as it would keep the full one).
 *
 * <p>The budget is either fixed or taken from the device's free memory at each call ({@link #auto}).
 */
public final class ChunkedAttention implements AttentionKernel {

	/** Share of the free memory one score block may use: the block, its softmax and the rest of the step. */
	static final int FREE_MEMORY_SHARE = 8;
	/** Largest score block of the automatic budget (larger blocks buy no speed). */
	static final long AUTO_MAX_ELEMENTS = 1L << 26;
	/** Budget when free memory cannot be read. */
	static final long FALLBACK_ELEMENTS = 1L << 24;

	static final ChunkedAttention DEFAULT = new ChunkedAttention(0);

	private final long maxScoreElements;

	/** @param maxScoreElements fixed budget in elements, or 0 for the free-memory budget */
	ChunkedAttention(long maxScoreElements) {
		if (maxScoreElements < 0) throw new IllegalArgumentException("budget must be positive");
		this.maxScoreElements = maxScoreElements;
	}

	/** The free-memory budget: a score block takes at most 1/8 of the free memory, and at most 64 Mi elements. */
	static long autoBudget(long freeBytes) {
		if (freeBytes <= 0) return FALLBACK_ELEMENTS;
		return Math.max(1, Math.min(AUTO_MAX_ELEMENTS, freeBytes / FREE_MEMORY_SHARE / Float.BYTES));
	}

	/** The score budget (elements) this kernel uses for a call on {@code q}'s device. */
	long budget(NDArray q) {
		return maxScoreElements > 0 ? maxScoreElements : autoBudget(DeviceMemory.free(q.getDevice()));
	}

	@Override
	public NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast) {
		Shape s = q.getShape();
		long bh = s.get(0) * s.get(1);
		long tq = s.get(2);
		long tk = k.getShape().get(2);
		if (bh * tq * tk <= (maxScoreElements > 0 ? maxScoreElements : FALLBACK_ELEMENTS))
			return FullAttention.INSTANCE.attend(q, k, v, scale, bias, upcast); // small: no need to ask the OS
		long chunk = Math.max(1, budget(q) / (bh * tk));
		if (chunk >= tq) return FullAttention.INSTANCE.attend(q, k, v, scale, bias, upcast);
		Shape bs = bias == null ? null : bias.getShape();
		boolean biasHasRows = bs != null && bs.get(bs.dimension() - 2) > 1;
		NDList parts = new NDList();
		for (long i = 0; i < tq; i += chunk) {
			long a = i, j = Math.min(tq, i + chunk);
			parts.add(BlockScope.run(() -> {
				NDArray qc = q.get(new NDIndex(":, :, {}:{}", a, j)); // [B, H, c, d]
				NDArray bc = biasHasRows ? bias.get(new NDIndex("..., {}:{}, :", a, j)) : bias;
				return FullAttention.INSTANCE.attend(qc, k, v, scale, bc, upcast);
			}));
		}
		NDArray out = NDArrays.concat(parts, 2);
		BlockScope.free(parts);
		return out;
	}
}
