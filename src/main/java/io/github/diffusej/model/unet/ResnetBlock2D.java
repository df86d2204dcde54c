package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Ops;

/**
 * diffusers {@code ResnetBlock2D} (time-scale-shift "default", output scale 1): GroupNorm-SiLU-conv twice, the
 * projected time embedding added between, and a 1x1 {@code conv_shortcut} when the channel count changes.
 * Used by the UNet (with a time embedding) and the VAE (without). Legend: B batch, C channels, H/W spatial.
 */
public final class ResnetBlock2D extends Module {

	private final GroupNorm norm1;
	private final Conv2d conv1;
	private final Linear timeEmbProj;
	private final GroupNorm norm2;
	private final Conv2d conv2;
	private final Conv2d convShortcut;

	/** @param tembChannels time-embedding width, or 0 for none (VAE) */
	public ResnetBlock2D(long in, long out, long tembChannels, int groups, double eps) {
		norm1 = child("norm1", new GroupNorm(groups, in, eps));
		conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1));
		timeEmbProj = tembChannels > 0 ? child("time_emb_proj", new Linear(tembChannels, out, true)) : null;
		norm2 = child("norm2", new GroupNorm(groups, out, eps));
		conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1));
		convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0)) : null;
	}

	/**
	 * x [B, Cin, H, W], temb [B, Ct] or null -> [B, Cout, H, W]. Runs in its own {@link BlockScope}; each temporary
	 * is closed as soon as it is dead, so the peak is about three tensors of the block's size.
	 */
	public NDArray forward(NDArray x, NDArray temb) {
		return BlockScope.run(() -> compute(x, temb));
	}

	private NDArray compute(NDArray x, NDArray temb) {
		boolean recording = GradMode.isRecording();
		NDArray a = norm1.forwardSilu(x);
		NDArray h = conv1.forward(a);
		BlockScope.free(a);
		if (timeEmbProj != null) {
			NDArray st = Ops.silu(temb);
			NDArray t = timeEmbProj.forward(st); // [B, Cout]
			NDArray t4 = t.expandDims(-1).expandDims(-1);
			if (recording) {
				NDArray sum = h.add(t4);
				BlockScope.free(h);
				h = sum;
			}
			else h.addi(t4);
			BlockScope.free(st, t, t4);
		}
		a = norm2.forwardSilu(h);
		BlockScope.free(h);
		h = conv2.forward(a);
		BlockScope.free(a);
		NDArray skip = convShortcut == null ? x : convShortcut.forward(x);
		NDArray out;
		if (recording) {
			out = skip.add(h);
			BlockScope.free(h);
		}
		else out = h.addi(skip);
		if (skip != x) BlockScope.free(skip);
		return out;
	}
}
