package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Euler ancestral sampling ("Euler a"), diffusers {@code EulerAncestralDiscreteScheduler} v0.25.1: an Euler step
 * down to σ_down followed by fresh noise of standard deviation σ_up, where σ_up² + σ_down² = σ_{i+1}² and
 * σ_up = σ_{i+1}·√((σ_i² − σ_{i+1}²)/σ_i²) (k-diffusion's {@code get_ancestral_step} with η = 1).
 *
 * <p>Timesteps and σ are those of {@link EulerDiscreteScheduler} (no Karras option in the reference). The noise
 * comes from the caller's {@link NoiseSource}, one draw per step, shaped like the model output.
 */
public final class EulerAncestralDiscreteScheduler implements Sampler {

	private final SchedulerConfig config;
	private final NoiseSchedule schedule;
	private final PredictionType prediction;
	private final NoiseSource noise;
	private float[] timesteps = new float[0];
	private float[] sigmas = new float[0];

	public EulerAncestralDiscreteScheduler(SchedulerConfig config, NoiseSource noise) {
		this.config = config.withDefaultsOf(SchedulerConfig.Family.EULER_ANCESTRAL);
		if (noise == null) throw new IllegalArgumentException("Euler ancestral needs a noise source");
		this.prediction = this.config.prediction();
		if (prediction == PredictionType.SAMPLE)
			throw this.config.unsupported("prediction_type", "sample", "EulerAncestralDiscreteScheduler (as in diffusers)");
		this.schedule = NoiseSchedule.of(config, SchedulerConfig.Family.EULER_ANCESTRAL);
		this.noise = noise;
	}

	@Override
	public void setTimesteps(int steps) {
		float[][] ts = EulerDiscreteScheduler.tables(config, schedule, steps, false);
		timesteps = ts[0];
		sigmas = ts[1];
	}

	@Override
	public double[] timesteps() {
		return Tables.toDouble(timesteps);
	}

	@Override
	public float[] sigmas() {
		return sigmas.clone();
	}

	@Override
	public float initNoiseSigma() {
		return EulerDiscreteScheduler.initNoiseSigma(config, sigmas);
	}

	@Override
	public NDArray scaleModelInput(NDArray sample, int stepIndex) {
		float sigma = sigmas[stepIndex];
		return sample.div(Tables.sqrtF(sigma * sigma + 1f));
	}

	/** σ_up for the step from σ_from to σ_to, float32 as in the reference. */
	static float sigmaUp(float from, float to) {
		return Tables.sqrtF(to * to * (from * from - to * to) / (from * from));
	}

	/** σ_down = √(σ_to² − σ_up²). */
	static float sigmaDown(float to, float up) {
		return Tables.sqrtF(to * to - up * up);
	}

	@Override
	public NDArray step(NDArray modelOutput, int stepIndex, NDArray sample) {
		if (sigmas.length == 0) throw new IllegalStateException("call setTimesteps before step");
		DataType outType = modelOutput.getDataType();
		NDArray x = EulerDiscreteScheduler.upcast(sample);
		float sigma = sigmas[stepIndex];
		NDArray x0 = EulerDiscreteScheduler.denoised(prediction, modelOutput, x, sigma, sigma, config);
		float to = sigmas[stepIndex + 1];
		float up = sigmaUp(sigma, to);
		float down = sigmaDown(to, up);
		NDArray d = x.sub(x0).div(sigma);
		NDArray prev = x.add(d.mul(down - sigma));
		NDArray z = noise.randn(modelOutput.getManager(), modelOutput.getShape(), outType);
		prev = prev.add(z.mul(up));
		return prev.getDataType() == outType ? prev : prev.toType(outType, false);
	}

	@Override
	public void reset() {}

	@Override
	public SchedulerConfig config() {
		return config;
	}
}
