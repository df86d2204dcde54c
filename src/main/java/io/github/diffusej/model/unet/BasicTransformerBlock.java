package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.GradMode;
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

	/** x [B, T, C], context [B, S, Cc] -> [B, T, C], in its own {@link BlockScope}. */
	NDArray forward(NDArray x, NDArray context) {
		return BlockScope.run(() -> {
			NDArray n = norm1.forward(x);
			NDArray h1 = plus(attn1.forward(n, null), x);
			BlockScope.free(n);
			n = norm2.forward(h1);
			NDArray h2 = plus(attn2.forward(n, context), h1);
			BlockScope.free(n, h1);
			n = norm3.forward(h2);
			NDArray out = plus(ff.forward(n), h2);
			BlockScope.free(n, h2);
			return out;
		});
	}

	/** {@code y + x} for a fresh {@code y}: in place without a graph, else a new array (closing {@code y}). */
	static NDArray plus(NDArray y, NDArray x) {
		if (!GradMode.isRecording()) return y.addi(x);
		NDArray out = y.add(x);
		BlockScope.free(y);
		return out;
	}
}
