package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Euler's method on the probability-flow ODE in σ-parameterisation (Karras et al. 2022, Algorithm 2 without
 * churn), diffusers {@code EulerDiscreteScheduler} v0.25.1 with {@code s_churn = 0}.
 *
 * <p>Timesteps are float32 and fractional for {@code linspace} spacing; σ at each timestep is interpolated
 * linearly (in t) in the train schedule σ_t = ((1−ᾱ_t)/ᾱ_t)^½, and a final σ = 0 is appended. With
 * {@code use_karras_sigmas} the σ are Karras' ρ = 7 schedule between the first and last interpolated σ and the
 * timesteps are interpolated back from log σ (not rounded).
 */
public final class EulerDiscreteScheduler implements Sampler {

	private final SchedulerConfig config;
	private final NoiseSchedule schedule;
	private final PredictionType prediction;
	private float[] timesteps = new float[0];
	private float[] sigmas = new float[0];

	public EulerDiscreteScheduler(SchedulerConfig config) {
		this.config = config.withDefaultsOf(SchedulerConfig.Family.EULER);
		if (!this.config.interpolationType().equals("linear"))
			throw this.config.unsupported("interpolation_type", this.config.interpolationType(), "EulerDiscreteScheduler");
		if (!this.config.timestepType().equals("discrete"))
			throw this.config.unsupported("timestep_type", this.config.timestepType(), "EulerDiscreteScheduler");
		this.schedule = NoiseSchedule.of(config, SchedulerConfig.Family.EULER);
		this.prediction = this.config.prediction();
	}

	@Override
	public void setTimesteps(int steps) {
		float[][] ts = tables(config, schedule, steps, config.useKarrasSigmas());
		timesteps = ts[0];
		sigmas = ts[1];
	}

	/**
	 * {timesteps, sigmas} of the Euler family (shared with {@link EulerAncestralDiscreteScheduler}); sigmas has one
	 * more entry, 0.
	 */
	static float[][] tables(SchedulerConfig c, NoiseSchedule schedule, int steps, boolean karras) {
		int n = c.numTrainTimesteps();
		Tables.checkSteps(steps, n, "EulerDiscreteScheduler");
		double[] t = new double[steps];
		switch (c.timestepSpacing()) {
			case "linspace" -> {
				double[] l = Tables.npLinspace(0, n - 1, steps);
				for (int i = 0; i < steps; i++) t[i] = (float) l[steps - 1 - i];
			}
			case "leading" -> {
				int ratio = n / steps;
				for (int i = 0; i < steps; i++) t[i] = (float) ((steps - 1 - i) * ratio) + (float) c.stepsOffset();
			}
			case "trailing" -> {
				double[] a = Tables.npArange(n, 0, -((double) n / steps));
				t = new double[a.length];
				for (int i = 0; i < a.length; i++) t[i] = (float) Math.rint(a[i]) - 1f;
			}
			default -> throw new IllegalArgumentException(c.where() + ": unknown timestep_spacing '"
				+ c.timestepSpacing() + "'");
		}
		float[] train = Tables.trainSigmas(schedule.alphasCumprodTable());
		double[] s = new double[t.length];
		for (int i = 0; i < t.length; i++) s[i] = Tables.interpUnitGrid(t[i], train);
		if (karras) {
			double sMin = c.sigmaMin() != null ? c.sigmaMin() : (double) s[s.length - 1];
			double sMax = c.sigmaMax() != null ? c.sigmaMax() : (double) s[0];
			s = Tables.karras(sMin, sMax, steps);
			float[] logSigmas = logs(train);
			for (int i = 0; i < s.length; i++) t[i] = Tables.sigmaToT(s[i], logSigmas);
		}
		float[] tf = new float[t.length];
		float[] sf = new float[t.length + 1];
		for (int i = 0; i < t.length; i++) {
			tf[i] = (float) t[i];
			sf[i] = (float) s[i];
		}
		sf[t.length] = 0f;
		return new float[][] {tf, sf};
	}

	static float[] logs(float[] x) {
		float[] l = new float[x.length];
		for (int i = 0; i < x.length; i++) l[i] = Tables.logF(x[i]);
		return l;
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
		return initNoiseSigma(config, sigmas);
	}

	/** σ_max for linspace/trailing spacing (diffusers 0.25.1), else √(σ_max² + 1). */
	static float initNoiseSigma(SchedulerConfig c, float[] sigmas) {
		if (sigmas.length == 0) throw new IllegalStateException("call setTimesteps first");
		float max = sigmas[0];
		for (float s : sigmas) max = Math.max(max, s);
		String sp = c.timestepSpacing();
		return sp.equals("linspace") || sp.equals("trailing") ? max : Tables.sqrtF(max * max + 1f);
	}

	/** x / √(σ² + 1): the input scaling c_in of Karras et al. 2022, Table 1 (VP column). */
	@Override
	public NDArray scaleModelInput(NDArray sample, int stepIndex) {
		float sigma = sigmas[stepIndex];
		return sample.div(Tables.sqrtF(sigma * sigma + 1f));
	}

	@Override
	public NDArray step(NDArray modelOutput, int stepIndex, NDArray sample) {
		if (sigmas.length == 0) throw new IllegalStateException("call setTimesteps before step");
		DataType outType = modelOutput.getDataType();
		NDArray x = upcast(sample);
		float sigma = sigmas[stepIndex];
		float sigmaHat = sigma; // γ = 0: no churn
		NDArray x0 = denoised(prediction, modelOutput, x, sigma, sigmaHat, config);
		// Algorithm 2, line 7: d = (x − D(x; σ̂)) / σ̂;  line 8: x' = x + (σ_{i+1} − σ̂)·d
		NDArray d = x.sub(x0).div(sigmaHat);
		float dt = sigmas[stepIndex + 1] - sigmaHat;
		NDArray prev = x.add(d.mul(dt));
		return prev.getDataType() == outType ? prev : prev.toType(outType, false);
	}

	/** The reference upcasts the sample to float32 for the step and casts the result to the model output's dtype. */
	static NDArray upcast(NDArray sample) {
		DataType dt = sample.getDataType();
		return dt == DataType.FLOAT16 || dt == DataType.BFLOAT16 ? sample.toType(DataType.FLOAT32, false) : sample;
	}

	/** The denoiser D(x; σ) from the network output (Karras et al. 2022, Table 1 / eq. 7 for VP models). */
	static NDArray denoised(PredictionType p, NDArray modelOutput, NDArray x, float sigma, float sigmaHat,
		SchedulerConfig c) {
		return switch (p) {
			case EPSILON -> x.sub(modelOutput.mul(sigmaHat));
			case V_PREDICTION -> {
				float s2p1 = sigma * sigma + 1f;
				yield modelOutput.mul(-sigma / Tables.sqrtF(s2p1)).add(x.div(s2p1));
			}
			case SAMPLE -> modelOutput;
		};
	}

	@Override
	public void reset() {}

	@Override
	public SchedulerConfig config() {
		return config;
	}
}
