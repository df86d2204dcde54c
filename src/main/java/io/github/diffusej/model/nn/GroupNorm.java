package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * {@code torch.nn.GroupNorm} (affine): x [B, C, ...] normalised over (C/G, ...) per group. DJL has no group-norm
 * op, so the input is reshaped to (B, G, rest) and run through layer norm, then the per-channel affine is applied
 * in one more pass (batch norm in eval mode as a fused multiply-add). Temporaries are closed as soon as they are dead.
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
		NDArray out = affine(n, x);
		BlockScope.free(n);
		if (!silu) return out;
		NDArray a = Ops.silu(out);
		BlockScope.free(out);
		return a;
	}

	/**
	 * {@code n · weight_c + bias_c} per channel (axis 1). For inference in float32/64 this is one pass of batch norm
	 * in eval mode with mean 0, variance 1 and eps 0 ({@code (n - 0) / sqrt(1 + 0) · w + b}), where a multiply and an
	 * add take two passes over the tensor and one more of its size.
	 */
	private NDArray affine(NDArray n, NDArray like) {
		DataType dt = n.getDataType();
		NDArray w = weight.as(like);
		NDArray b = bias.as(like);
		// Under autograd batch norm would keep its input for backward (one more tensor per norm); a multiply by a
		// frozen weight keeps nothing, so the graph takes the multiply and the add.
		if ((dt == DataType.FLOAT32 || dt == DataType.FLOAT64) && !GradMode.isRecording()) {
			NDArray mean = like.getManager().zeros(new Shape(channels), dt);
			NDArray var = like.getManager().ones(new Shape(channels), dt);
			NDArray out = JniUtils.batchNorm((PtNDArray) n, (PtNDArray) mean, (PtNDArray) var, (PtNDArray) w,
				(PtNDArray) b, false, 0, 0);
			BlockScope.free(mean, var);
			return out;
		}
		long[] bshape = new long[n.getShape().dimension()];
		java.util.Arrays.fill(bshape, 1);
		bshape[1] = channels;
		NDArray wb = Param.scoped(w.reshape(bshape), like);
		NDArray bb = Param.scoped(b.reshape(bshape), like);
		NDArray out = n.mul(wb);
		NDArray shifted = out.add(bb);
		BlockScope.free(out, wb, bb);
		return shifted;
	}
}
