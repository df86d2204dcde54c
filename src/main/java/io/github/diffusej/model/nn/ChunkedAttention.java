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
 * <p>The budget is either fixed or automatic: on the CPU blocks of at most 16 MB, which are faster than one large
 * block because they stay in cache; on a GPU blocks as large as 1/8 of the device's free memory allows.
 */
public final class ChunkedAttention implements AttentionKernel {

	/** Share of the free memory one score block may use: the block, its softmax and the rest of the step. */
	static final int FREE_MEMORY_SHARE = 8;
	/**
	 * Largest score block of the automatic budget on the CPU: 4 Mi elements (16 MB in float32), which largely stays
	 * in the processor's caches between the score matmul, the softmax and the product with v. Measured on 1 thread,
	 * 8 heads x 4096 tokens: 1.14 s in one block, 0.59-0.72 s in 16 MB blocks, 0.58-0.67 s in 8 MB blocks; smaller
	 * blocks lose to per-call overhead, which grows with threads (each op is a parallel region).
	 */
	static final long CPU_MAX_ELEMENTS = 1L << 22;
	/** Largest score block on a GPU, where large blocks keep the device busy (1 GiB in float32). */
	static final long GPU_MAX_ELEMENTS = 1L << 28;
	/**
	 * Score block on the CPU while a graph is recorded: 16 Mi elements (64 MB). Backward keeps every block's
	 * softmax anyway, so small blocks save nothing there; blocks above glibc's largest mmap threshold (32 MB) are
	 * mapped on their own and return to the system when freed, whereas cache-sized ones come from the heap, where
	 * the freed scores of each block leave holes between the kept ones (measured: 2.8x the softmax's size resident).
	 */
	static final long CPU_RECORDING_ELEMENTS = 1L << 24;

	static final ChunkedAttention DEFAULT = new ChunkedAttention(0);

	private final long maxScoreElements;

	/** @param maxScoreElements fixed budget in elements, or 0 for the free-memory budget */
	ChunkedAttention(long maxScoreElements) {
		if (maxScoreElements < 0) throw new IllegalArgumentException("budget must be positive");
		this.maxScoreElements = maxScoreElements;
	}

	/**
	 * The automatic budget: a score block takes at most 1/8 of the free memory, and at most {@code cap} elements
	 * (the cap alone when free memory is unknown).
	 */
	static long autoBudget(long freeBytes, long cap) {
		if (freeBytes <= 0) return cap;
		return Math.max(1, Math.min(cap, freeBytes / FREE_MEMORY_SHARE / Float.BYTES));
	}

	/** The score budget (elements) this kernel uses for a call on {@code q}'s device. */
	long budget(NDArray q) {
		if (maxScoreElements > 0) return maxScoreElements;
		long cap = q.getDevice().isGpu() ? GPU_MAX_ELEMENTS : GradMode.isRecording() ? CPU_RECORDING_ELEMENTS
			: CPU_MAX_ELEMENTS;
		return autoBudget(DeviceMemory.free(q.getDevice()), cap);
	}

	@Override
	public NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast) {
		Shape s = q.getShape();
		long bh = s.get(0) * s.get(1);
		long tq = s.get(2);
		long tk = k.getShape().get(2);
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
