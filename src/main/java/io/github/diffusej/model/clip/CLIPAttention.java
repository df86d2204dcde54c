package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.AttentionHolder;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;

/** transformers {@code CLIPAttention}: multi-head self-attention with q/k/v/out projections (all biased). */
public final class CLIPAttention extends Module implements AttentionHolder {

	private final Linear qProj;
	private final Linear kProj;
	private final Linear vProj;
	private final Linear outProj;
	private final int heads;
	private final int headDim;
	private AttentionKernel kernel = AttentionKernel.defaultKernel();

	CLIPAttention(CLIPTextConfig c) {
		long d = c.hiddenSize();
		heads = c.numAttentionHeads();
		headDim = c.headDim();
		kProj = child("k_proj", new Linear(d, d, true));
		vProj = child("v_proj", new Linear(d, d, true));
		qProj = child("q_proj", new Linear(d, d, true));
		outProj = child("out_proj", new Linear(d, d, true));
	}

	@Override
	public void setKernel(AttentionKernel kernel) {
		this.kernel = kernel;
	}

	/** x [B, T, D], mask additive [T, T] -> [B, T, D]. */
	NDArray forward(NDArray x, NDArray mask) {
		long b = x.getShape().get(0);
		long t = x.getShape().get(1);
		NDArray q = split(qProj.forward(x), b, t); // [B, H, T, d]
		NDArray k = split(kProj.forward(x), b, t);
		NDArray v = split(vProj.forward(x), b, t);
		NDArray o = kernel.attend(q, k, v, 1.0 / Math.sqrt(headDim), mask, false); // [B, H, T, d]
		return outProj.forward(o.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * headDim));
	}

	/** [B, T, D] -> [B, H, T, d], contiguous, so that no matmul copies it again (see the UNet's Attention). */
	private NDArray split(NDArray x, long b, long t) {
		NDArray r = x.reshape(b, t, heads, headDim);
		NDArray p = r.transpose(0, 2, 1, 3);
		NDArray flat = p.reshape(b * heads, t, headDim);
		NDArray out = flat.reshape(b, heads, t, headDim);
		BlockScope.free(x, r, p, flat);
		return out;
	}
}
