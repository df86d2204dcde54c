package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;

/**
 * DDIM (Song, Meng &amp; Ermon 2021), diffusers {@code DDIMScheduler} v0.25.1. Deterministic for η = 0 (the
 * default); for η &gt; 0 the noise comes from the {@link NoiseSource}.
 *
 * <p>Coefficients are float32 scalars computed like the reference's 0-d float32 tensors; the tensor arithmetic
 * runs in the sample's dtype.
 */
public final class DDIMScheduler implements Sampler {

	private final SchedulerConfig config;
	private final NoiseSchedule schedule;
	private final float[] alphasCumprod;
	private final float finalAlphaCumprod;
	private final PredictionType prediction;
	private final float eta;
	private final NoiseSource noise;
	private int numInferenceSteps;
	private long[] timesteps = new long[0];

	/** η = 0 (deterministic DDIM, what the SD pipelines use by default). */
	public DDIMScheduler(SchedulerConfig config) {
		this(config, 0f, null);
	}

	/** @param eta η of eq. 16; {@code noise} is required when η &gt; 0 */
	public DDIMScheduler(SchedulerConfig config, float eta, NoiseSource noise) {
		this.config = config.withDefaultsOf(SchedulerConfig.Family.DDIM);
		if (this.config.thresholding()) throw this.config.unsupported("thresholding", true, "DDIMScheduler");
		if (eta < 0) throw new IllegalArgumentException("eta must be >= 0, got " + eta);
		if (eta > 0 && noise == null) throw new IllegalArgumentException("DDIM with eta > 0 needs a noise source");
		this.schedule = NoiseSchedule.of(config, SchedulerConfig.Family.DDIM);
		this.alphasCumprod = schedule.alphasCumprodTable();
		this.finalAlphaCumprod = this.config.setAlphaToOne() ? 1f : alphasCumprod[0];
		this.prediction = this.config.prediction();
		this.eta = eta;
		this.noise = noise;
	}

	@Override
	public void setTimesteps(int steps) {
		int n = config.numTrainTimesteps();
		Tables.checkSteps(steps, n, "DDIMScheduler");
		numInferenceSteps = steps;
		timesteps = Tables.integerTimesteps(config.timestepSpacing(), n, steps, config.stepsOffset(), config.where());
	}

	@Override
	public double[] timesteps() {
		return Tables.toDouble(timesteps);
	}

	/** The integer timesteps. */
	public long[] timestepsLong() {
		return timesteps.clone();
	}

	@Override
	public NDArray step(NDArray modelOutput, int stepIndex, NDArray sample) {
		if (numInferenceSteps == 0) throw new IllegalStateException("call setTimesteps before step");
		int t = (int) timesteps[stepIndex];
		// eq. 12 uses α at the previous timestep of the inference grid, which is always t − N/S here
		int prevT = t - config.numTrainTimesteps() / numInferenceSteps;
		float aT = alphasCumprod[t];
		float aPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
		float bT = 1f - aT;
		float sqrtA = Tables.sqrtF(aT);
		float sqrtB = Tables.sqrtF(bT);

		NDArray x0;
		NDArray eps;
		switch (prediction) {
			case EPSILON -> {
				x0 = sample.sub(modelOutput.mul(sqrtB)).div(sqrtA); // "predicted x0" of eq. 12
				eps = modelOutput;
			}
			case SAMPLE -> {
				x0 = modelOutput;
				eps = sample.sub(x0.mul(sqrtA)).div(sqrtB);
			}
			case V_PREDICTION -> {
				x0 = sample.mul(sqrtA).sub(modelOutput.mul(sqrtB));
				eps = modelOutput.mul(sqrtA).add(sample.mul(sqrtB));
			}
			default -> throw new AssertionError(prediction);
		}
		if (config.clipSample()) {
			float r = config.clipSampleRange().floatValue();
			x0 = x0.clip(-r, r);
		}
		// eq. 16: σ_t(η) = η·√((1−ᾱ_{t−1})/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_{t−1})
		float variance = ((1f - aPrev) / bT) * (1f - aT / aPrev);
		float std = eta * Tables.sqrtF(variance);
		// eq. 12: x_{t−1} = √ᾱ_{t−1}·x̂0 + √(1−ᾱ_{t−1}−σ_t²)·ε + σ_t·z
		float dirCoef = Tables.sqrtF(1f - aPrev - std * std);
		NDArray prev = x0.mul(Tables.sqrtF(aPrev)).add(eps.mul(dirCoef));
		if (eta > 0) prev = prev.add(noise.randn(modelOutput.getManager(), modelOutput.getShape(),
			modelOutput.getDataType()).mul(std));
		return prev;
	}

	@Override
	public void reset() {}

	@Override
	public SchedulerConfig config() {
		return config;
	}

	/** The train-time noise schedule this sampler uses. */
	public NoiseSchedule noiseSchedule() {
		return schedule;
	}
}
