package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Small activation functions shared by the networks. */
public final class Ops {

	private Ops() {}

	/**
	 * SiLU, {@code x·sigmoid(x)}, in two ops (not DJL's {@code swish}: it takes three and multiplies by beta with {@code mul(Number)}, whose scalar is freed while
	 * backward still reads it, see {@link Param#scalar}). Without a
	 * graph the product is written into the sigmoid's own buffer.
	 */
	public static NDArray silu(NDArray x) {
		NDArray s = Activation.sigmoid(x);
		if (GradMode.isRecording()) {
			NDArray y = x.mul(s);
			BlockScope.free(s);
			return y;
		}
		return s.muli(x);
	}

	/** Exact (erf) GELU, {@code torch.nn.functional.gelu} default. */
	public static NDArray gelu(NDArray x) {
		return Activation.gelu(x);
	}

	/** OpenAI's {@code quick_gelu}: x·sigmoid(1.702·x). */
	public static NDArray quickGelu(NDArray x) {
		return x.mul(Activation.sigmoid(Param.times(x, 1.702))); // not mul(Number): see Param#scalar
	}

	/** Activation by its transformers/diffusers name. */
	public static NDArray activation(String name, NDArray x) {
		return switch (name) {
			case "gelu" -> gelu(x);
			case "quick_gelu" -> quickGelu(x);
			case "silu", "swish" -> silu(x);
			default -> throw new IllegalArgumentException("unsupported activation '" + name + "'");
		};
	}

	public static void checkActivation(String name) {
		switch (name) {
			case "gelu", "quick_gelu", "silu", "swish" -> {
			}
			default -> throw new IllegalArgumentException("unsupported activation '" + name
				+ "' (supported: gelu, quick_gelu, silu)");
		}
	}
}
