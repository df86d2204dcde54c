package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;

/**
 * Pseudo numerical methods for diffusion models (Liu et al. 2022), diffusers {@code PNDMScheduler} v0.25.1 with
 * {@code skip_prk_steps = true}: the PLMS sampler (linear multistep, Adams–Bashforth on ε) that SD 1.x ships as
 * its default. The Runge–Kutta warm-up (PRK, {@code skip_prk_steps = false}) is not implemented.
 *
 * <p>For S inference steps there are S + 1 network calls: the second timestep is repeated, and the step at that
 * repeat is a second-order (Heun-like) correction of the first step that restarts from the saved sample. Step
 * size δ = N div S train steps; the update of every step is the PNDM transfer φ of eq. 9.
 *
 * <p>History: the last up to four ε (ets), the saved sample of the first step, in one {@link History}.
 */
public final class PNDMScheduler implements Sampler {

	private final SchedulerConfig config;
	private final NoiseSchedule schedule;
	private final float[] alphasCumprod;
	private final float finalAlphaCumprod;
	private final PredictionType prediction;
	private final History history = new History(4);
	private int numInferenceSteps;
	private long[] timesteps = new long[0];

	public PNDMScheduler(SchedulerConfig config) {
		this.config = config.withDefaultsOf(SchedulerConfig.Family.PNDM);
		if (!this.config.skipPrkSteps())
			throw this.config.unsupported("skip_prk_steps", false,
				"PNDMScheduler (only PLMS, skip_prk_steps = true as in SD, is implemented)");
		this.prediction = this.config.prediction();
		if (prediction == PredictionType.SAMPLE) throw this.config.unsupported("prediction_type", "sample", "PNDMScheduler");
		this.schedule = NoiseSchedule.of(config, SchedulerConfig.Family.PNDM);
		this.alphasCumprod = schedule.alphasCumprodTable();
		this.finalAlphaCumprod = this.config.setAlphaToOne() ? 1f : alphasCumprod[0];
	}

	@Override
	public void setTimesteps(int steps) {
		int n = config.numTrainTimesteps();
		Tables.checkSteps(steps, n, "PNDMScheduler");
		numInferenceSteps = steps;
		long[] desc = Tables.integerTimesteps(config.timestepSpacing(), n, steps, config.stepsOffset(), config.where());
		// PLMS order [t0, t1, t1, t2, ..., t_{S-1}] (descending): the second timestep is visited twice
		long[] t = new long[desc.length == 1 ? 1 : desc.length + 1];
		t[0] = desc[0];
		if (desc.length > 1) {
			t[1] = desc[1];
			System.arraycopy(desc, 1, t, 2, desc.length - 1);
		}
		timesteps = t;
		history.clear();
	}

	@Override
	public double[] timesteps() {
		return Tables.toDouble(timesteps);
	}

	public long[] timestepsLong() {
		return timesteps.clone();
	}

	@Override
	public NDArray step(NDArray modelOutput, int stepIndex, NDArray sample) {
		if (numInferenceSteps == 0) throw new IllegalStateException("call setTimesteps before step");
		history.expect(stepIndex, "PNDMScheduler");
		int counter = stepIndex;
		int delta = config.numTrainTimesteps() / numInferenceSteps;
		long t = timesteps[counter];
		long prevT = t - delta;
		NDArray e = modelOutput;
		NDArray x = sample;
		boolean last = stepIndex == timesteps.length - 1;
		if (counter == 1) {
			// second call at the repeated timestep: redo step 0 (t+δ → t) with the mean of both ε (Heun)
			prevT = t;
			t = t + delta;
			e = modelOutput.add(history.back(0)).div(2f);
			x = history.savedSample;
		} else {
			int k = history.size(); // previous ε available, before adding this one
			e = switch (Math.min(k, 3)) {
				case 0 -> modelOutput;
				// Adams–Bashforth of order 2, 3, 4 (PNDM eq. 12)
				case 1 -> modelOutput.mul(3f).sub(history.back(0)).div(2f);
				case 2 -> modelOutput.mul(23f).sub(past(0, 16f, modelOutput)).add(past(1, 5f, modelOutput)).div(12f);
				default -> modelOutput.mul(55f).sub(past(0, 59f, modelOutput)).add(past(1, 37f, modelOutput))
					.sub(past(2, 9f, modelOutput)).mul((float) (1.0 / 24));
			};
		}
		NDArray prev = transfer(x, t, prevT, e, sample);
		if (last) {
			history.clear();
		} else {
			if (counter == 0) history.savedSample = history.keep(sample, true);
			if (counter != 1) history.push(modelOutput, true);
			if (counter == 1) history.savedSample = null;
			history.nextStep++;
		}
		return prev;
	}

	/** c·ε_{k-th newest stored}, owned by the caller's manager. */
	private NDArray past(int k, float c, NDArray like) {
		return History.toCaller(history.back(k).mul(c), like.getManager());
	}

	/**
	 * The transfer part φ(x_t, ε, t, t−δ) of PNDM eq. 9:
	 * x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t)·x_t − (ᾱ_{t−δ} − ᾱ_t)·ε / (ᾱ_t·√(1−ᾱ_{t−δ}) + √((1−ᾱ_t)·ᾱ_t·ᾱ_{t−δ})).
	 */
	private NDArray transfer(NDArray x, long t, long prevT, NDArray e, NDArray callerSample) {
		float a = alphasCumprod[(int) t];
		float aPrev = prevT >= 0 ? alphasCumprod[(int) prevT] : finalAlphaCumprod;
		float b = 1f - a;
		float bPrev = 1f - aPrev;
		if (prediction == PredictionType.V_PREDICTION) e = e.mul(Tables.sqrtF(a)).add(x.mul(Tables.sqrtF(b)));
		float sampleCoeff = Tables.sqrtF(aPrev / a);
		float denom = a * Tables.sqrtF(bPrev) + Tables.sqrtF(a * b * aPrev);
		NDArray xs = x == callerSample ? x.mul(sampleCoeff) : History.toCaller(x.mul(sampleCoeff),
			callerSample.getManager());
		return xs.sub(e.mul(aPrev - a).div(denom));
	}

	@Override
	public void reset() {
		history.clear();
	}

	@Override
	public SchedulerConfig config() {
		return config;
	}
}
