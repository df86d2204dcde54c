package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers {@code Transformer2DModel} for continuous inputs: GroupNorm (eps 1e-6), {@code proj_in} (1x1 conv, or
 * linear when {@code use_linear_projection}), transformer blocks over the H·W tokens, {@code proj_out}, residual.
 */
public final class Transformer2DModel extends Module {

	private final GroupNorm norm;
	private final AdaptableLayer projIn;
	private final List<BasicTransformerBlock> blocks = new ArrayList<>();
	private final AdaptableLayer projOut;
	private final boolean linear;
	private final long inner;

	Transformer2DModel(long channels, int heads, int layers, long crossDim, int groups, boolean linear,
		boolean upcast)
	{
		this.linear = linear;
		int dimHead = (int) (channels / heads);
		inner = (long) heads * dimHead;
		norm = child("norm", new GroupNorm(groups, channels, 1e-6));
		projIn = child("proj_in", linear ? new Linear(channels, inner, true) : new Conv2d(channels, inner, 1, 1, 0));
		for (int i = 0; i < layers; i++) {
			blocks.add(child("transformer_blocks." + i, new BasicTransformerBlock(inner, heads, dimHead, crossDim,
				upcast)));
		}
		projOut = child("proj_out", linear ? new Linear(inner, channels, true) : new Conv2d(inner, channels, 1, 1, 0));
	}

	/** x [B, C, H, W], context [B, S, Cc] -> [B, C, H, W], in its own {@link BlockScope}. */
	NDArray forward(NDArray x, NDArray context) {
		return BlockScope.run(() -> compute(x, context));
	}

	private NDArray compute(NDArray x, NDArray context) {
		long[] s = x.getShape().getShape();
		long b = s[0], c = s[1], h = s[2], w = s[3];
		NDArray n = norm.forward(x);
		NDArray t;
		if (linear) {
			NDArray tok = tokens(n, b, h * w, c);
			t = projIn.forward(tok); // [B, HW, inner]
			BlockScope.free(tok);
		}
		else {
			NDArray p = projIn.forward(n);
			t = tokens(p, b, h * w, inner);
			BlockScope.free(p);
		}
		BlockScope.free(n);
		for (BasicTransformerBlock blk : blocks) {
			NDArray next = blk.forward(t, context);
			BlockScope.free(t);
			t = next;
		}
		NDArray out;
		if (linear) {
			NDArray p = projOut.forward(t);
			out = image(p, b, h, w, c);
			BlockScope.free(p);
		}
		else {
			NDArray img = image(t, b, h, w, inner);
			out = projOut.forward(img);
			BlockScope.free(img);
		}
		BlockScope.free(t);
		return BasicTransformerBlock.plus(out, x);
	}

	/** [B, C, H, W] -> [B, HW, C] (contiguous; the intermediate views are closed). */
	private static NDArray tokens(NDArray x, long b, long hw, long c) {
		NDArray p = x.transpose(0, 2, 3, 1);
		NDArray t = p.reshape(b, hw, c);
		BlockScope.free(p);
		return t;
	}

	/** [B, HW, C] -> [B, C, H, W] (a view). */
	private static NDArray image(NDArray t, long b, long h, long w, long c) {
		NDArray r = t.reshape(b, h, w, c);
		NDArray img = r.transpose(0, 3, 1, 2);
		BlockScope.free(r);
		return img;
	}
}
