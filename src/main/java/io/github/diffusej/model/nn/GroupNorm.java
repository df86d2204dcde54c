package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.GroupNorm} (affine): x [B, C, ...] normalised over (C/G, ...) per group. DJL has no group-norm
 * op, so the input is reshaped to (B, G, rest) and run through layer norm, then the per-channel affine is applied
 * (in place when no graph is recorded, so inference holds one tensor of the input's size, not three).
 */
public final class GroupNorm extends Module {

	private final int groups;
	private final long channels;
	private final float eps;
	private final Param weight;
	private final Param bias;

	public GroupNorm(int groups, long channels, double eps) {
		if (channels % groups != 0) throw new IllegalArgumentException(channels + " channels not divisible by "
			+ groups + " groups");
		this.groups = groups;
		this.channels = channels;
		this.eps = (float) eps;
		weight = param("weight", channels);
		bias = param("bias", channels);
	}

	public NDArray forward(NDArray x) {
		return forward(x, false);
	}

	/** The normalised input followed by SiLU ({@code silu(norm(x))}, as every ResNet block uses it). */
	public NDArray forwardSilu(NDArray x) {
		return forward(x, true);
	}

	private NDArray forward(NDArray x, boolean silu) {
		Shape s = x.getShape();
		long rest = s.size() / (s.get(0) * groups);
		NDArray g = x.reshape(s.get(0), groups, rest); // [B, G, C/G * spatial]
		NDArray ones = x.getManager().ones(new Shape(rest), x.getDataType());
		NDArray zeros = x.getManager().zeros(new Shape(rest), x.getDataType());
		NDArray ln = ai.djl.nn.norm.LayerNorm.layerNorm(g, new Shape(rest), ones, zeros, eps).singletonOrThrow();
		BlockScope.free(g, ones, zeros);
		NDArray n = ln.reshape(s);
		BlockScope.free(ln);
		long[] bshape = new long[s.dimension()];
		java.util.Arrays.fill(bshape, 1);
		bshape[1] = channels;
		NDArray w = Param.scoped(weight.as(x).reshape(bshape), x);
		NDArray b = Param.scoped(bias.as(x).reshape(bshape), x);
		NDArray out;
		if (GradMode.isRecording()) {
			NDArray m = n.mul(w);
			BlockScope.free(n);
			out = m.add(b);
			BlockScope.free(m);
			if (silu) {
				NDArray a = Ops.silu(out);
				BlockScope.free(out);
				out = a;
			}
		}
		else {
			out = n.muli(w).addi(b);
			if (silu) {
				NDArray a = Ops.silu(out);
				BlockScope.free(out);
				out = a;
			}
		}
		BlockScope.free(w, b);
		return out;
	}
}
