package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.LayerNorm;
import io.github.diffusej.model.nn.Module;

/** diffusers {@code BasicTransformerBlock} (layer_norm type): self-attention, cross-attention, GEGLU MLP. */
public final class BasicTransformerBlock extends Module {

	private final LayerNorm norm1;
	private final Attention attn1;
	private final LayerNorm norm2;
	private final Attention attn2;
	private final LayerNorm norm3;
	private final FeedForward ff;

	BasicTransformerBlock(long dim, int heads, int dimHead, long crossDim, boolean upcast) {
		norm1 = child("norm1", new LayerNorm(dim, 1e-5));
		attn1 = child("attn1", Attention.tokens(dim, dim, heads, dimHead, upcast));
		norm2 = child("norm2", new LayerNorm(dim, 1e-5));
		attn2 = child("attn2", Attention.tokens(dim, crossDim, heads, dimHead, upcast));
		norm3 = child("norm3", new LayerNorm(dim, 1e-5));
		ff = child("ff", new FeedForward(dim));
	}

	/** x [B, T, C], context [B, S, Cc] -> [B, T, C]. */
	NDArray forward(NDArray x, NDArray context) {
		x = attn1.forward(norm1.forward(x), null).add(x);
		x = attn2.forward(norm2.forward(x), context).add(x);
		return ff.forward(norm3.forward(x)).add(x);
	}
}
