package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.AttentionHolder;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;

/**
 * diffusers {@code Attention} (Vaswani et al. 2017): weights only ({@code to_q}, {@code to_k}, {@code to_v},
 * {@code to_out.0}, optional {@code group_norm}); the math is an {@link AttentionKernel}.
 *
 * <p>Two uses: UNet self/cross attention on tokens [B, T, C] (no bias on q/k/v), and the VAE mid-block
 * attention on images [B, C, H, W] (one head, biased q/k/v, group norm first, residual added).
 */
public final class Attention extends Module implements AttentionHolder {

	private final GroupNorm groupNorm;
	private final Linear toQ;
	private final Linear toK;
	private final Linear toV;
	private final Linear toOut;
	private final int heads;
	private final int dimHead;
	private final boolean upcast;
	private final boolean residual;
	private AttentionKernel kernel = AttentionKernel.defaultKernel();

	private Attention(long queryDim, long crossDim, int heads, int dimHead, boolean bias, boolean upcast,
		int normGroups, double eps, boolean residual)
	{
		long inner = (long) heads * dimHead;
		this.heads = heads;
		this.dimHead = dimHead;
		this.upcast = upcast;
		this.residual = residual;
		groupNorm = normGroups > 0 ? child("group_norm", new GroupNorm(normGroups, queryDim, eps)) : null;
		toQ = child("to_q", new Linear(queryDim, inner, bias));
		toK = child("to_k", new Linear(crossDim, inner, bias));
		toV = child("to_v", new Linear(crossDim, inner, bias));
		toOut = child("to_out.0", new Linear(inner, queryDim, true));
	}

	/** Transformer attention; {@code crossDim == queryDim} for self-attention. */
	public static Attention tokens(long queryDim, long crossDim, int heads, int dimHead, boolean upcastAttention) {
		return new Attention(queryDim, crossDim, heads, dimHead, false, upcastAttention, 0, 0, false);
	}

	/** The VAE's spatial self-attention (single head of width {@code channels}, softmax upcast). */
	public static Attention spatial(long channels, int groups, double eps) {
		return new Attention(channels, channels, 1, (int) channels, true, true, groups, eps, true);
	}

	@Override
	public void setKernel(AttentionKernel kernel) {
		this.kernel = kernel;
	}

	/**
	 * Tokens: x [B, T, C], context [B, S, Cc] or null (self) -> [B, T, C]. Images: x [B, C, H, W] -> same. Runs in its
	 * own {@link BlockScope}; q, k and v are freed once the kernel has used them.
	 */
	public NDArray forward(NDArray x, NDArray context) {
		return BlockScope.run(() -> compute(x, context));
	}

	private NDArray compute(NDArray x, NDArray context) {
		NDArray in = x;
		long[] s4 = null;
		if (x.getShape().dimension() == 4) {
			s4 = x.getShape().getShape();
			NDArray flat = x.reshape(s4[0], s4[1], s4[2] * s4[3]); // [B, C, HW]
			NDArray normed = groupNorm == null ? flat : groupNorm.forward(flat);
			x = normed.transpose(0, 2, 1); // [B, HW, C]
			if (normed != flat) BlockScope.free(flat, normed);
		}
		else if (groupNorm != null) x = groupNorm.forward(x.transpose(0, 2, 1)).transpose(0, 2, 1);
		NDArray ctx = context == null ? x : context;
		long b = x.getShape().get(0);
		long t = x.getShape().get(1);
		NDArray q = split(toQ.forward(x), b); // [B, H, T, d]
		NDArray k = split(toK.forward(ctx), b); // [B, H, S, d]
		NDArray v = split(toV.forward(ctx), b);
		if (x != in) BlockScope.free(x);
		NDArray o = kernel.attend(q, k, v, 1.0 / Math.sqrt(dimHead), null, upcast); // [B, H, T, d]
		BlockScope.free(q, k, v);
		NDArray ot = o.transpose(0, 2, 1, 3);
		NDArray merged = ot.reshape(b, t, (long) heads * dimHead);
		BlockScope.free(o, ot);
		NDArray out = toOut.forward(merged); // [B, T, C]
		BlockScope.free(merged);
		if (s4 != null) {
			NDArray outT = out.transpose(0, 2, 1);
			NDArray img = outT.reshape(s4);
			BlockScope.free(out, outT);
			out = img;
		}
		if (!residual) return out;
		if (GradMode.isRecording()) return out.add(in);
		return out.addi(in);
	}

	/**
	 * [B, T, H·d] -> [B, H, T, d], contiguous (one copy, as diffusers' head_to_batch_dim makes). A strided view would
	 * be copied again by every matmul of every attention chunk, and under autograd each of those copies would be
	 * kept for backward: at 512 px that is several GB.
	 */
	private NDArray split(NDArray x, long b) {
		NDArray r = x.reshape(b, -1, heads, dimHead);
		NDArray t = r.transpose(0, 2, 1, 3);
		NDArray flat = t.reshape(-1, t.getShape().get(2), dimHead); // [B·H, T, d]: not a view, so a contiguous copy
		NDArray out = flat.reshape(b, heads, -1, dimHead);
		BlockScope.free(x, r, t, flat);
		return out;
	}
}
