package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.model.nn.Embedding;
import io.github.diffusej.model.nn.Module;

/**
 * transformers {@code CLIPTextEmbeddings}: token + absolute position embeddings, plus optional extra token rows for
 * textual inversion.
 *
 * <p>Ids {@code >= vocab} address the extra (K, D) table, a separate tensor (usually trainable) that is never
 * concatenated to the frozen table: both tables are gathered and merged with a broadcast mask, so the frozen table
 * gets no gradient. Legend: B batch, T tokens, D hidden.
 */
public final class CLIPTextEmbeddings extends Module {

	private final Embedding tokenEmbedding;
	private final Embedding positionEmbedding;
	private NDArray extraTokens;

	CLIPTextEmbeddings(CLIPTextConfig c) {
		tokenEmbedding = child("token_embedding", new Embedding(c.vocabSize(), c.hiddenSize()));
		positionEmbedding = child("position_embedding", new Embedding(c.maxPositionEmbeddings(), c.hiddenSize()));
	}

	public Embedding tokenEmbedding() {
		return tokenEmbedding;
	}

	/** The extra rows, or null. */
	public NDArray extraTokens() {
		return extraTokens;
	}

	/**
	 * Sets the extra rows [K, D] used for ids {@code vocab .. vocab+K-1}. The array is used as given (mark it
	 * trainable with {@code setRequiresGradient(true)}); pass null to remove.
	 */
	public void setExtraTokens(NDArray rows) {
		if (rows != null && (rows.getShape().dimension() != 2
			|| rows.getShape().get(1) != tokenEmbedding.weight().shape().get(1)))
			throw new IllegalArgumentException("extra token rows must be [K, " + tokenEmbedding.weight().shape().get(1)
				+ "], got " + rows.getShape());
		extraTokens = rows;
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
		long rows = vocab + (extraTokens == null ? 0 : extraTokens.getShape().get(0));
		long max = ids.max().getLong();
		if (max >= rows || ids.min().getLong() < 0) throw new IllegalArgumentException("token id " + max
			+ " is outside the vocabulary of " + vocab + (extraTokens == null ? " (no extra token rows set)"
				: " plus " + (rows - vocab) + " extra token rows"));
		if (extraTokens == null) return Embedding.lookup(ids, tokenEmbedding.weight().array());
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
