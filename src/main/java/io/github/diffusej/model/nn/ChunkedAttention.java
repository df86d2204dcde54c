package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Attention computed in query chunks so that the [B, H, chunk, Tk] score block stays under a budget: 512 px
 * images (Tq = Tk = 4096 at the first UNet level) and larger fit in memory. Rows of softmax are independent, so
 * the result equals {@link FullAttention} (tested against it). Works under autograd.
 */
public final class ChunkedAttention implements AttentionKernel {

	static final ChunkedAttention DEFAULT = new ChunkedAttention(1L << 26);

	private final long maxScoreElements;

	ChunkedAttention(long maxScoreElements) {
		if (maxScoreElements < 1) throw new IllegalArgumentException("budget must be positive");
		this.maxScoreElements = maxScoreElements;
	}

	@Override
	public NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast) {
		Shape s = q.getShape();
		long bh = s.get(0) * s.get(1);
		long tq = s.get(2);
		long tk = k.getShape().get(2);
		long chunk = Math.max(1, maxScoreElements / (bh * tk));
		if (chunk >= tq) return FullAttention.INSTANCE.attend(q, k, v, scale, bias, upcast);
		Shape bs = bias == null ? null : bias.getShape();
		boolean biasHasRows = bs != null && bs.get(bs.dimension() - 2) > 1;
		NDList parts = new NDList();
		for (long i = 0; i < tq; i += chunk) {
			long j = Math.min(tq, i + chunk);
			NDArray qc = q.get(new NDIndex(":, :, {}:{}", i, j)); // [B, H, c, d]
			NDArray bc = bias;
			if (biasHasRows) bc = bias.get(new NDIndex("..., {}:{}, :", i, j));
			parts.add(FullAttention.INSTANCE.attend(qc, k, v, scale, bc, upcast));
		}
		return NDArrays.concat(parts, 2);
	}
}
