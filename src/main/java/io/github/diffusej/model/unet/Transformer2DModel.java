package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.AdaptableLayer;
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

	/** x [B, C, H, W], context [B, S, Cc] -> [B, C, H, W]. */
	NDArray forward(NDArray x, NDArray context) {
		long[] s = x.getShape().getShape();
		long b = s[0], c = s[1], h = s[2], w = s[3];
		NDArray t = norm.forward(x);
		if (linear) t = projIn.forward(t.transpose(0, 2, 3, 1).reshape(b, h * w, c)); // [B, HW, inner]
		else t = projIn.forward(t).transpose(0, 2, 3, 1).reshape(b, h * w, inner);
		for (BasicTransformerBlock blk : blocks) t = blk.forward(t, context);
		NDArray out;
		if (linear) out = projOut.forward(t).reshape(b, h, w, c).transpose(0, 3, 1, 2);
		else out = projOut.forward(t.reshape(b, h, w, inner).transpose(0, 3, 1, 2));
		return out.add(x);
	}
}
