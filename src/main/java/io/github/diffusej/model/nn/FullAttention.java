package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The naive reference for {@link AttentionKernel}: the whole score matrix at once (diffusers AttnProcessor).
 * Each temporary is closed as soon as it is dead, so the peak is one score block and its softmax.
 */
public final class FullAttention implements AttentionKernel {

	static final FullAttention INSTANCE = new FullAttention();

	private FullAttention() {}

	@Override
	public NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias, boolean upcast) {
		DataType dt = q.getDataType();
		// toType cuts the autograd graph: while recording, fp16 stays fp16 (torch's softmax accumulates in fp32).
		// (NDArray.hasGradient() cannot tell: it is false for every non-leaf result.)
		boolean recording = GradMode.isRecording();
		boolean half = dt == DataType.FLOAT16 && !recording;
		boolean up = upcast && half;
		NDArray qq = up ? q.toType(DataType.FLOAT32, false) : q;
		NDArray kk = up ? k.toType(DataType.FLOAT32, false) : k;
		NDArray kt = kk.transpose(0, 1, 3, 2);
		NDArray raw = qq.matMul(kt); // [B, H, Tq, Tk]
		BlockScope.free(kt);
		if (up) BlockScope.free(qq, kk);
		// Without a graph the score block is scaled and masked in place: no second block of its size.
		NDArray scores;
		if (recording) {
			scores = Param.times(raw, scale); // not mul(Number): DJL frees that scalar while backward reads it
			BlockScope.free(raw);
		}
		else scores = raw.muli(scale);
		if (bias != null) {
			NDArray b = bias.getDataType() == scores.getDataType() ? bias : bias.toType(scores.getDataType(), false);
			if (recording) {
				NDArray biased = scores.add(b);
				BlockScope.free(scores);
				scores = biased;
			}
			else scores.addi(b);
			if (b != bias) BlockScope.free(b);
		}
		if (half && !up) {
			NDArray f = scores.toType(DataType.FLOAT32, false);
			BlockScope.free(scores);
			scores = f;
		}
		NDArray probs = scores.softmax(-1);
		BlockScope.free(scores);
		if (probs.getDataType() != dt) {
			NDArray p = probs.toType(dt, false);
			BlockScope.free(probs);
			probs = p;
		}
		NDArray out = probs.matMul(v); // [B, H, Tq, d]
		BlockScope.free(probs);
		return out;
	}
}
