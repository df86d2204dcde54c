package io.github.diffusej.model.adapter;

import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;

/**
 * The shape of a trainable LoRA/DoRA: kohya's {@code network_dim}/{@code network_alpha} for linear layers and 1x1
 * convolutions, and its {@code conv_dim}/{@code conv_alpha} for convolutions with a larger kernel.
 *
 * @param rank r of linear and 1x1 conv layers (kohya {@code network_dim})
 * @param alpha scale numerator of those layers: scale = alpha / rank (kohya {@code network_alpha})
 * @param convRank r of k x k convolutions (k > 1), kohya {@code conv_dim}; 0 means "the same as rank and alpha"
 *        (invoke-training's behaviour; then no conv arguments are written to the file's metadata)
 * @param convAlpha alpha of k x k convolutions, kohya {@code conv_alpha} (ignored when convRank is 0)
 * @param dora null for plain LoRA, or the DoRA magnitude axis ({@link DoraAdapter.Axis#INPUT} is kohya's
 *        {@code dora_scale} layout that LyCORIS, OneTrainer and ComfyUI read; {@link DoraAdapter.Axis#OUTPUT} is
 *        PEFT's, needed for the diffusers file layout)
 */
public record LoraSpec(int rank, double alpha, int convRank, double convAlpha, DoraAdapter.Axis dora) {

	public LoraSpec {
		if (rank < 1) throw new IllegalArgumentException("LoRA rank must be at least 1, not " + rank);
		if (!(alpha > 0) || !Double.isFinite(alpha)) throw new IllegalArgumentException(
			"LoRA alpha must be a positive number, not " + alpha);
		if (convRank < 0) throw new IllegalArgumentException("conv rank must be 0 (same as rank) or more, not " + convRank);
		if (convRank == 0) convAlpha = alpha;
		else if (!(convAlpha > 0) || !Double.isFinite(convAlpha)) throw new IllegalArgumentException(
			"conv alpha must be a positive number, not " + convAlpha);
	}

	/** Plain LoRA, every layer with {@code rank} and {@code alpha}. */
	public static LoraSpec of(int rank, double alpha) {
		return new LoraSpec(rank, alpha, 0, alpha, null);
	}

	/** kohya's conv_dim / conv_alpha for k x k convolutions (k > 1). */
	public LoraSpec withConv(int convRank, double convAlpha) {
		return new LoraSpec(rank, alpha, convRank, convAlpha, dora);
	}

	/** DoRA on (kohya {@code dora_scale} axis, {@link DoraAdapter.Axis#INPUT}) or off. */
	public LoraSpec withDora(boolean on) {
		return withDora(on ? DoraAdapter.Axis.INPUT : null);
	}

	/** DoRA with this magnitude axis, or off (null). */
	public LoraSpec withDora(DoraAdapter.Axis axis) {
		return new LoraSpec(rank, alpha, convRank, convAlpha, axis);
	}

	public boolean isDora() {
		return dora != null;
	}

	/** Whether conv_dim/conv_alpha were given (kohya then lists them in {@code ss_network_args}). */
	public boolean hasConvArgs() {
		return convRank > 0;
	}

	/** True for convolutions with a kernel larger than 1x1, which take the conv rank. */
	public static boolean isSpatialConv(AdaptableLayer layer) {
		return layer instanceof Conv2d c && c.kernel() > 1;
	}

	public int rankFor(AdaptableLayer layer) {
		return hasConvArgs() && isSpatialConv(layer) ? convRank : rank;
	}

	public double alphaFor(AdaptableLayer layer) {
		return hasConvArgs() && isSpatialConv(layer) ? convAlpha : alpha;
	}
}
