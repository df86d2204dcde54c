package io.github.diffusej.train;

/**
 * Dynamic loss scaling for float16 training (Micikevicius et al. 2018, "Mixed Precision Training"), with the
 * policy of {@code torch.cuda.amp.GradScaler}: the backward pass starts from {@code scale} instead of 1 so that
 * small gradients do not flush to zero in float16; a step whose gradients overflow is skipped and the scale
 * halved; after {@code growthInterval} good steps in a row it doubles. The scale stays at or below 2^15, the
 * largest power of two float16 holds (the seed gradient itself is float16).
 */
public final class LossScaler {

	static final double MAX = 32768;

	private double scale;
	private int goodSteps;
	private final int growthInterval;

	public LossScaler() {
		this(MAX, 0, 2000);
	}

	public LossScaler(double scale, int goodSteps, int growthInterval) {
		this.scale = scale;
		this.goodSteps = goodSteps;
		this.growthInterval = growthInterval;
	}

	public double scale() {
		return scale;
	}

	public int goodSteps() {
		return goodSteps;
	}

	/** Continues from a checkpoint's scale and good-step count. */
	public void restore(double savedScale, int savedGoodSteps) {
		this.scale = savedScale;
		this.goodSteps = savedGoodSteps;
	}

	/** After a step: {@code finite} gradients count towards growth; an overflow halves the scale. */
	public void update(boolean finite) {
		if (!finite) {
			scale = Math.max(scale / 2, 1.0 / (1 << 24));
			goodSteps = 0;
			return;
		}
		if (++goodSteps >= growthInterval) {
			scale = Math.min(scale * 2, MAX);
			goodSteps = 0;
		}
	}
}
