package io.github.diffusej.export;

import java.util.Arrays;

/**
 * One adapted layer of a LoRA file, in file order of values (row-major).
 *
 * @param component {@code unet} or {@code text_encoder}
 * @param module the reference module path ({@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}),
 *        or, for kohya files before {@link LoraFile#resolve}, the flattened stem with '_' for '.'
 * @param down {@code lora_down} / {@code lora_A}: [r, in] or [r, in, kh, kw]
 * @param up {@code lora_up} / {@code lora_B}: [out, r] or [out, r, 1, 1]
 * @param alpha the file's alpha, or NaN when absent (then alpha = rank, scale 1)
 * @param dora DoRA magnitude ({@code dora_scale} [1, in] / [out, 1] or PEFT's [out]), or null for plain LoRA
 */
public record LoraLayer(String component, String module, float[] down, long[] downShape, float[] up, long[] upShape,
	float alpha, float[] dora, long[] doraShape)
{

	public int rank() {
		return (int) downShape[0];
	}

	/** alpha / rank, with a missing or zero alpha meaning alpha = rank (kohya's rule). */
	public float scale() {
		return Float.isNaN(alpha) || alpha == 0f ? 1f : alpha / rank();
	}

	public boolean isConv() {
		return downShape.length == 4;
	}

	public long outFeatures() {
		return upShape[0];
	}

	public long inFeatures() {
		return downShape[1];
	}

	/** True when the DoRA magnitude is per output row (PEFT), false when per input column (LyCORIS default). */
	public boolean doraPerOutput() {
		return dora != null && doraShape[0] == outFeatures() && !(doraShape.length >= 2 && doraShape[0] == 1);
	}

	public LoraLayer withModule(String resolved) {
		return new LoraLayer(component, resolved, down, downShape, up, upShape, alpha, dora, doraShape);
	}

	@Override
	public String toString() {
		return component + ":" + module + " r=" + rank() + " down" + Arrays.toString(downShape) + " up" +
			Arrays.toString(upShape) + (dora != null ? " dora" + Arrays.toString(doraShape) : "");
	}
}
