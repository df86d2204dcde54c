package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.model.nn.Embedding;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Param;
import java.util.List;

/**
 * transformers {@code CLIPTextEmbeddings}: token + absolute position embeddings, plus optional extra token rows for
 * textual inversion.
 *
 * <p>Ids {@code >= vocab} address the extra rows: one or more (k, D) segments (embeddings loaded from files,
 * trainable placeholder rows), in id order. The segments are never concatenated to the frozen table: both tables
 * are gathered and merged with a broadcast mask, so the frozen table gets no gradient; a trainable segment gets
 * the gradient of its own rows only. Legend: B batch, T tokens, D hidden, K extra rows.
 */
public final class CLIPTextEmbeddings extends Module {

	private final Embedding tokenEmbedding;
	private final Embedding positionEmbedding;
	private List<NDArray> extraSegments = List.of();

	CLIPTextEmbeddings(CLIPTextConfig c) {
		tokenEmbedding = child("token_embedding", new Embedding(c.vocabSize(), c.hiddenSize()));
		positionEmbedding = child("position_embedding", new Embedding(c.maxPositionEmbeddings(), c.hiddenSize()));
	}

	public Embedding tokenEmbedding() {
		return tokenEmbedding;
	}

	/** The extra row segments in id order (empty when there are none). */
	public List<NDArray> extraSegments() {
		return extraSegments;
	}

	/** The number of extra rows (ids {@code vocab .. vocab+K-1}). */
	public long extraRowCount() {
		long k = 0;
		for (NDArray s : extraSegments) k += s.getShape().get(0);
		return k;
	}

	/** Sets a single extra segment [K, D] (null removes every extra row); see {@link #setExtraSegments}. */
	public void setExtraTokens(NDArray rows) {
		setExtraSegments(rows == null ? List.of() : List.of(rows));
	}

	/**
	 * Sets the extra rows as segments [k_i, D] used, in order, for ids {@code vocab ..}. The arrays are used as
	 * given and stay owned by the caller (a trainable one is marked with {@code setRequiresGradient(true)}).
	 */
	public void setExtraSegments(List<NDArray> segments) {
		long d = tokenEmbedding.weight().shape().get(1);
		for (NDArray rows : segments) {
			if (rows.getShape().dimension() != 2 || rows.getShape().get(1) != d || rows.getShape().get(0) < 1)
				throw new IllegalArgumentException("extra token rows must be [k, " + d + "], got " + rows.getShape());
		}
		extraSegments = List.copyOf(segments);
	}

	/** ids [B, T] (int64) -> [B, T, D]. */
	public NDArray forward(NDArray ids) {
		long t = ids.getShape().get(1);
		if (t > positionEmbedding.count()) throw new IllegalArgumentException("sequence of " + t
			+ " tokens exceeds max_position_embeddings " + positionEmbedding.count());
		if (ids.getDataType() != DataType.INT64) ids = ids.toType(DataType.INT64, false);
		NDArray tokens = tokenEmbeddings(ids);
		NDArray positions = ids.getManager().arange(0, t, 1, DataType.INT64); // [T]
		NDArray pos = Embedding.lookup(positions, positionEmbedding.weight().as(tokens)); // [T, D]
		return tokens.add(pos);
	}

	private NDArray tokenEmbeddings(NDArray ids) {
		long vocab = tokenEmbedding.count();
		long rows = vocab + extraRowCount();
		long max = ids.max().getLong();
		if (max >= rows || ids.min().getLong() < 0) throw new IllegalArgumentException("token id " + max
			+ " is outside the vocabulary of " + vocab + (extraSegments.isEmpty() ? " (no extra token rows set)"
				: " plus " + (rows - vocab) + " extra token rows"));
		if (extraSegments.isEmpty()) return Embedding.lookup(ids, tokenEmbedding.weight().array());
		// A few rows: concatenating them is cheap and differentiable (the result is moved into the caller's scope).
		NDArray extraTokens = extraSegments.size() == 1 ? extraSegments.get(0)
			: Param.scoped(NDArrays.concat(new NDList(extraSegments), 0), ids);
		NDArray isExtra = ids.gte(vocab); // [B, T]
		NDArray zero = ids.zerosLike();
		NDArray frozenIds = NDArrays.where(isExtra, zero, ids);
		NDArray extraIds = NDArrays.where(isExtra, ids.sub(vocab), zero);
		NDArray extra = Embedding.lookup(extraIds, extraTokens); // [B, T, D]
		NDArray frozen = Embedding.lookup(frozenIds, tokenEmbedding.weight().as(extra));
		NDArray mask = isExtra.expandDims(-1).broadcast(frozen.getShape()); // explicit broadcast: [B, T, D]
		return NDArrays.where(mask, extra, frozen);
	}
}
