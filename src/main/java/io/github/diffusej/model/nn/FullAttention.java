package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The naive reference for {@link AttentionKernel}: the whole score matrix at once (diffusers AttnProcessor). */
public final class FullAttention implements AttentionKernel {

	static final FullAttention INSTANCE = new FullAttention();

	private FullAttention() {}

	@Override
	public NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast) {
		DataType dt = q.getDataType();
		// toType cuts the autograd graph: while recording, fp16 stays fp16 (torch's softmax accumulates in fp32).
		// (NDArray.hasGradient() cannot tell: it is false for every non-leaf result.)
		boolean half = dt == DataType.FLOAT16 && !GradMode.isRecording();
		boolean up = upcast && half;
		NDArray qq = up ? q.toType(DataType.FLOAT32, false) : q;
		NDArray kk = up ? k.toType(DataType.FLOAT32, false) : k;
		// Param.times, not mul(Number): DJL frees a Number scalar that backward still reads.
		NDArray scores = Param.times(qq.matMul(kk.transpose(0, 1, 3, 2)), scale); // [B, H, Tq, Tk]
		if (bias != null) scores = scores.add(bias.getDataType() == scores.getDataType() ? bias
			: bias.toType(scores.getDataType(), false));
		if (half && !up) scores = scores.toType(DataType.FLOAT32, false);
		NDArray probs = scores.softmax(-1);
		if (probs.getDataType() != dt) probs = probs.toType(dt, false);
		return probs.matMul(v); // [B, H, Tq, d]
	}
}
