package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;

/**
 * Multistep DPM-Solver (Lu et al. 2022, "DPM-Solver++", Algorithm 2 and its data-prediction multistep updates;
 * {@code algorithm_type = dpmsolver} gives the noise-prediction variant of the first paper), diffusers
 * {@code DPMSolverMultistepScheduler} v0.25.1. The default config (dpmsolver++, order 2, midpoint) is A1111's
 * "DPM++ 2M"; with {@code use_karras_sigmas} it is "DPM++ 2M Karras".
 *
 * <p>Notation: for a noise level σ (of the EDM/Karras parameterisation) the VP coefficients are α = 1/√(σ²+1) and
 * σ_VP = σ·α, and λ = log α − log σ_VP is the half log-SNR. All of these are float32 scalars computed like the
 * reference's 0-d float32 tensors.
 *
 * <p>Schedules (0.25.1 behaviour, kept on purpose): for linspace/leading/trailing the final σ is the train
 * schedule's σ at t = 0 (≈0.029 for SD), not 0; with Karras σ the last σ is repeated. The sampler therefore
 * never steps to σ = 0; its last step is a first- or second-order step from σ_{n−1} to σ_n.
 *
 * <p>History (the only state besides the tables) lives in one {@link History} object: the previous
 * {@code solver_order − 1} converted model outputs; how many are stored is the usable extra order during warm-up.
 */
public final class DPMSolverMultistepScheduler implements Sampler {

	private final SchedulerConfig config;
	private final NoiseSchedule schedule;
	private final PredictionType prediction;
	private final boolean plusPlus;
	private final boolean midpoint;
	private final int order;
	private long[] timesteps = new long[0];
	private float[] sigmas = new float[0];
	private final History history;

	public DPMSolverMultistepScheduler(SchedulerConfig config) {
		this.config = config.withDefaultsOf(SchedulerConfig.Family.DPM_MULTISTEP);
		SchedulerConfig c = this.config;
		String algo = c.algorithmType();
		if (algo.startsWith("sde-")) throw c.unsupported("algorithm_type", algo, "DPMSolverMultistepScheduler");
		plusPlus = !algo.equals("dpmsolver"); // "deis" is mapped to dpmsolver++ by the reference
		midpoint = !c.solverType().equals("heun"); // logrho/bh1/bh2 are mapped to midpoint by the reference
		order = c.solverOrder();
		if (order < 1 || order > 3) throw c.unsupported("solver_order", order, "DPMSolverMultistepScheduler");
		if (c.thresholding()) throw c.unsupported("thresholding", true, "DPMSolverMultistepScheduler");
		if (c.useLuLambdas()) throw c.unsupported("use_lu_lambdas", true, "DPMSolverMultistepScheduler");
		if (c.varianceType() != null && c.varianceType().startsWith("learned"))
			throw c.unsupported("variance_type", c.varianceType(), "DPMSolverMultistepScheduler");
		this.schedule = NoiseSchedule.of(config, SchedulerConfig.Family.DPM_MULTISTEP);
		this.prediction = c.prediction();
		this.history = new History(Math.max(order - 1, 1));
	}

	@Override
	public void setTimesteps(int steps) {
		SchedulerConfig c = config;
		int n = c.numTrainTimesteps();
		Tables.checkSteps(steps, n, "DPMSolverMultistepScheduler");
		float[] ac = schedule.alphasCumprodTable();
		int lastTimestep = n - clippedIndex(ac, c.lambdaMinClipped());
		long[] t;
		switch (c.timestepSpacing()) {
			case "linspace" -> {
				double[] l = Tables.npLinspace(0, lastTimestep - 1, steps + 1);
				t = new long[steps];
				for (int i = 0; i < steps; i++) t[i] = (long) Math.rint(l[steps - i]);
			}
			case "leading" -> {
				int ratio = lastTimestep / (steps + 1);
				t = new long[steps];
				for (int i = 0; i < steps; i++) t[i] = (long) (steps - i) * ratio + c.stepsOffset();
			}
			case "trailing" -> {
				double[] a = Tables.npArange(lastTimestep, 0, -((double) n / steps));
				t = new long[a.length];
				for (int i = 0; i < a.length; i++) t[i] = (long) Math.rint(a[i]) - 1;
			}
			default -> throw new IllegalArgumentException(c.where() + ": unknown timestep_spacing '"
				+ c.timestepSpacing() + "'");
		}
		float[] train = Tables.trainSigmas(ac);
		float[] s = new float[t.length + 1];
		if (c.useKarrasSigmas()) {
			// in_sigmas is the train schedule flipped: σ_min = σ(t=0), σ_max = σ(t=N−1)
			double[] k = Tables.karras(train[0], train[n - 1], steps);
			float[] logSigmas = EulerDiscreteScheduler.logs(train);
			t = new long[k.length];
			for (int i = 0; i < k.length; i++) {
				t[i] = (long) Math.rint(Tables.sigmaToT(k[i], logSigmas));
				s[i] = (float) k[i];
			}
			s[k.length] = (float) k[k.length - 1];
		} else {
			for (int i = 0; i < t.length; i++) s[i] = (float) Tables.interpUnitGrid(t[i], train);
			s[t.length] = train[0];
		}
		timesteps = t;
		sigmas = s;
		history.clear();
	}

	/** searchsorted(flip(λ_t), lambda_min_clipped): how many of the noisiest train steps are cut off. */
	private static int clippedIndex(float[] ac, double lambdaMinClipped) {
		int n = ac.length;
		int count = 0;
		for (int i = n - 1; i >= 0; i--) {
			float lambda = Tables.logF(Tables.sqrtF(ac[i])) - Tables.logF(Tables.sqrtF(1f - ac[i]));
			if (lambda < lambdaMinClipped) count++;
			else break;
		}
		return count;
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
	public float[] sigmas() {
		return sigmas.clone();
	}

	@Override
	public float initNoiseSigma() {
		return 1f;
	}

	@Override
	public NDArray scaleModelInput(NDArray sample, int stepIndex) {
		return sample;
	}

	/** α = 1/√(σ²+1). */
	private static float alphaOf(float sigma) {
		return 1f / Tables.sqrtF(sigma * sigma + 1f);
	}

	/** λ = log α − log(σ·α). */
	private static float lambdaOf(float alpha, float sigmaVp) {
		return Tables.logF(alpha) - Tables.logF(sigmaVp);
	}

	@Override
	public NDArray step(NDArray modelOutput, int stepIndex, NDArray sample) {
		if (timesteps.length == 0) throw new IllegalStateException("call setTimesteps before step");
		history.expect(stepIndex, "DPMSolverMultistepScheduler");
		int len = timesteps.length;
		boolean shortRun = config.lowerOrderFinal() && len < 15;
		boolean lowerOrderFinal = stepIndex == len - 1 && (config.eulerAtFinal() || shortRun);
		boolean lowerOrderSecond = stepIndex == len - 2 && shortRun;

		NDArray m = convertModelOutput(modelOutput, sample, sigmas[stepIndex]);
		// usable order grows 1, 2, ... during warm-up (lower_order_nums of the reference)
		int warm = history.size();

		NDArray prev;
		if (order == 1 || warm < 1 || lowerOrderFinal) prev = firstOrder(m, stepIndex, sample);
		else if (order == 2 || warm < 2 || lowerOrderSecond) prev = secondOrder(m, stepIndex, sample);
		else prev = thirdOrder(m, stepIndex, sample);

		if (stepIndex == len - 1) {
			history.clear();
		} else {
			history.push(m, m == modelOutput || m == sample);
			history.nextStep++;
		}
		return prev;
	}

	/** DPM-Solver++ works with the data prediction x̂0 (eq. 8 of the ++ paper), DPM-Solver with ε̂. */
	private NDArray convertModelOutput(NDArray mo, NDArray sample, float sigma) {
		float alpha = alphaOf(sigma);
		float sigmaVp = sigma * alpha;
		if (plusPlus) {
			return switch (prediction) {
				case EPSILON -> sample.sub(mo.mul(sigmaVp)).div(alpha);
				case SAMPLE -> mo;
				case V_PREDICTION -> sample.mul(alpha).sub(mo.mul(sigmaVp));
			};
		}
		return switch (prediction) {
			case EPSILON -> mo;
			case SAMPLE -> sample.sub(mo.mul(alpha)).div(sigmaVp);
			case V_PREDICTION -> mo.mul(alpha).add(sample.mul(sigmaVp));
		};
	}

	/** First order (DDIM-equivalent): ++ paper eq. 5 (data) / DPM-Solver-1 eq. 3.7 (noise). */
	private NDArray firstOrder(NDArray m, int i, NDArray sample) {
		float sT = sigmas[i + 1];
		float sS = sigmas[i];
		float aT = alphaOf(sT);
		float vT = sT * aT;
		float aS = alphaOf(sS);
		float vS = sS * aS;
		float h = lambdaOf(aT, vT) - lambdaOf(aS, vS);
		if (plusPlus) return sample.mul(vT / vS).sub(m.mul(aT * (Tables.expF(-h) - 1f)));
		return sample.mul(aT / aS).sub(m.mul(vT * (Tables.expF(h) - 1f)));
	}

	/** Multistep second order: ++ paper Algorithm 2 (midpoint form) and its Heun variant; D1 = (m0 − m1)/r0. */
	private NDArray secondOrder(NDArray m0, int i, NDArray sample) {
		float sT = sigmas[i + 1];
		float s0 = sigmas[i];
		float s1 = sigmas[i - 1];
		float aT = alphaOf(sT);
		float vT = sT * aT;
		float a0 = alphaOf(s0);
		float v0 = s0 * a0;
		float a1 = alphaOf(s1);
		float v1 = s1 * a1;
		float lT = lambdaOf(aT, vT);
		float l0 = lambdaOf(a0, v0);
		float l1 = lambdaOf(a1, v1);
		NDArray m1 = history.back(0);
		float h = lT - l0;
		float h0 = l0 - l1;
		float r0 = h0 / h;
		NDArray d0 = m0;
		NDArray d1 = m0.sub(m1).mul(1f / r0);
		if (plusPlus) {
			float c = aT * (Tables.expF(-h) - 1f);
			NDArray x = sample.mul(vT / v0).sub(d0.mul(c));
			return midpoint ? x.sub(d1.mul(0.5f * c)) : x.add(d1.mul(aT * ((Tables.expF(-h) - 1f) / h + 1f)));
		}
		float c = vT * (Tables.expF(h) - 1f);
		NDArray x = sample.mul(aT / a0).sub(d0.mul(c));
		return midpoint ? x.sub(d1.mul(0.5f * c)) : x.sub(d1.mul(vT * ((Tables.expF(h) - 1f) / h - 1f)));
	}

	/** Multistep third order (DPM-Solver++(3M) / DPM-Solver-3 multistep). */
	private NDArray thirdOrder(NDArray m0, int i, NDArray sample) {
		float sT = sigmas[i + 1];
		float s0 = sigmas[i];
		float s1 = sigmas[i - 1];
		float s2 = sigmas[i - 2];
		float aT = alphaOf(sT);
		float vT = sT * aT;
		float a0 = alphaOf(s0);
		float v0 = s0 * a0;
		float a1 = alphaOf(s1);
		float v1 = s1 * a1;
		float a2 = alphaOf(s2);
		float v2 = s2 * a2;
		float lT = lambdaOf(aT, vT);
		float l0 = lambdaOf(a0, v0);
		float l1 = lambdaOf(a1, v1);
		float l2 = lambdaOf(a2, v2);
		NDArray m1 = history.back(0);
		NDArray m2 = history.back(1);
		float h = lT - l0;
		float h0 = l0 - l1;
		float h1 = l1 - l2;
		float r0 = h0 / h;
		float r1 = h1 / h;
		NDArray d10 = m0.sub(m1).mul(1f / r0);
		NDArray d11 = History.toCaller(m1.sub(m2), sample.getManager()).mul(1f / r1);
		NDArray d1 = d10.add(d10.sub(d11).mul(r0 / (r0 + r1)));
		NDArray d2 = d10.sub(d11).mul(1f / (r0 + r1));
		if (plusPlus) {
			float e = Tables.expF(-h) - 1f;
			return sample.mul(vT / v0).sub(m0.mul(aT * e)).add(d1.mul(aT * (e / h + 1f)))
				.sub(d2.mul(aT * ((Tables.expF(-h) - 1f + h) / (h * h) - 0.5f)));
		}
		float e = Tables.expF(h) - 1f;
		return sample.mul(aT / a0).sub(m0.mul(vT * e)).sub(d1.mul(vT * (e / h - 1f)))
			.sub(d2.mul(vT * ((Tables.expF(h) - 1f - h) / (h * h) - 0.5f)));
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
