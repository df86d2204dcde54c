package io.github.diffusej.schedule;

/**
 * The table arithmetic of the reference, reproduced operation by operation so that timesteps and sigmas come out
 * bit-identical: torch float32 {@code linspace}, numpy float64 {@code linspace}/{@code interp}/{@code round},
 * the Karras ρ-schedule and diffusers' log-σ → t interpolation.
 */
final class Tables {

	private Tables() {}

	/**
	 * {@code torch.linspace(start, end, n, dtype=float32)} as PyTorch's AVX2 CPU kernel computes it (the reference
	 * machine): the first half counts up from {@code start}, the second half down from {@code end}; each 8-lane
	 * vector (two per iteration) starts at a base element computed with a fused multiply-add (the compiler contracts
	 * {@code start + step·idx}) and adds {@code k·step} per lane; the tail that does not fill two vectors uses the
	 * same fused scalar formula. Verified bit-exact against the golden {@code betas}; a plain
	 * {@code start + i·step} differs in 128 of 1000 entries by one ulp.
	 */
	static float[] torchLinspaceF32(double startD, double endD, int n) {
		float[] out = new float[n];
		if (n == 1) {
			out[0] = (float) startD;
			return out;
		}
		final float start = (float) startD;
		final float end = (float) endD;
		final float step = (end - start) / (float) (n - 1);
		final int half = n / 2;
		final int lanes = 8;
		int i = 0;
		for (; i <= n - 2 * lanes; i += lanes) {
			float base = linspaceElement(start, end, step, half, n, i);
			for (int k = 0; k < lanes; k++) out[i + k] = base + (float) k * step;
		}
		for (; i < n; i++) out[i] = linspaceElement(start, end, step, half, n, i);
		return out;
	}

	private static float linspaceElement(float start, float end, float step, int half, int n, int i) {
		return i < half ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (n - i - 1), end);
	}

	/** {@code np.linspace(start, stop, n)} (float64): {@code i·step + start}, last element exactly {@code stop}. */
	static double[] npLinspace(double start, double stop, int n) {
		double[] out = new double[n];
		if (n == 1) {
			out[0] = start;
			return out;
		}
		double step = (stop - start) / (n - 1);
		for (int i = 0; i < n; i++) out[i] = i * step + start;
		out[n - 1] = stop;
		return out;
	}

	/** {@code np.interp(x, arange(fp.length), fp)} in float64, with numpy's exact-hit and end-point rules. */
	static double interpUnitGrid(double x, float[] fp) {
		int last = fp.length - 1;
		if (x <= 0) return fp[0];
		if (x >= last) return fp[last];
		int j = (int) Math.floor(x);
		if (j == x) return fp[j];
		double slope = ((double) fp[j + 1] - (double) fp[j]) / 1.0;
		return slope * (x - j) + fp[j];
	}

	/** Karras et al. 2022, eq. 5: σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, ρ = 7, float64. */
	static double[] karras(double sigmaMin, double sigmaMax, int n) {
		double rho = 7.0;
		double[] ramp = npLinspace(0, 1, n);
		double minInv = Math.pow(sigmaMin, 1 / rho);
		double maxInv = Math.pow(sigmaMax, 1 / rho);
		double[] out = new double[n];
		for (int i = 0; i < n; i++) out[i] = Math.pow(maxInv + ramp[i] * (minInv - maxInv), rho);
		return out;
	}

	/**
	 * diffusers' {@code _sigma_to_t}: the fractional train timestep whose log σ matches, by linear interpolation in
	 * log σ between the two neighbouring train timesteps ({@code logSigmas} ascending with t, float32 as in numpy).
	 */
	static double sigmaToT(double sigma, float[] logSigmas) {
		double logSigma = Math.log(Math.max(sigma, 1e-10));
		int n = logSigmas.length;
		// index of the last train log σ not above logSigma (0 when there is none), clipped so that low+1 exists
		int low = 0;
		for (int i = 0; i < n; i++)
			if (logSigma - logSigmas[i] >= 0) low = i;
		low = Math.min(low, n - 2);
		int high = low + 1;
		double lo = logSigmas[low];
		double hi = logSigmas[high];
		double w = (lo - logSigma) / (lo - hi);
		w = Math.min(Math.max(w, 0), 1);
		return (1 - w) * low + w * high;
	}

	/** float32 natural log as numpy/torch compute it (correctly rounded up to the last ulp). */
	static float logF(float x) {
		return (float) Math.log(x);
	}

	static float expF(float x) {
		return (float) Math.exp(x);
	}

	static float sqrtF(float x) {
		return (float) Math.sqrt(x);
	}

	/** Train-schedule σ_t = ((1 − ᾱ_t)/ᾱ_t)^½ in float32, as diffusers computes it from a float32 tensor. */
	static float[] trainSigmas(float[] alphasCumprod) {
		float[] s = new float[alphasCumprod.length];
		for (int i = 0; i < s.length; i++) s[i] = sqrtF((1f - alphasCumprod[i]) / alphasCumprod[i]);
		return s;
	}

	static double[] reversed(double[] a) {
		double[] r = new double[a.length];
		for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
		return r;
	}

	/** {@code np.arange(start, stop, step)} in float64: {@code ceil((stop − start)/step)} values {@code start + i·step}. */
	static double[] npArange(double start, double stop, double step) {
		int n = (int) Math.max(0, Math.ceil((stop - start) / step));
		double[] out = new double[n];
		for (int i = 0; i < n; i++) out[i] = start + i * step;
		return out;
	}

	/**
	 * Integer timesteps, descending, for the three spacings of Lin et al. 2024 (Table 2) as DDIM/DDPM compute them:
	 * {@code linspace} = round(linspace(0, N−1, S)); {@code leading} = i·(N div S) + steps_offset;
	 * {@code trailing} = round(arange(N, 0, −N/S)) − 1. Rounding is numpy's half-to-even.
	 */
	static long[] integerTimesteps(String spacing, int numTrain, int steps, int stepsOffset, String where) {
		long[] out = new long[steps];
		switch (spacing) {
			case "linspace" -> {
				double[] l = npLinspace(0, numTrain - 1, steps);
				for (int i = 0; i < steps; i++) out[i] = (long) Math.rint(l[steps - 1 - i]);
			}
			case "leading" -> {
				int ratio = numTrain / steps;
				for (int i = 0; i < steps; i++) out[i] = (long) (steps - 1 - i) * ratio + stepsOffset;
			}
			case "trailing" -> {
				double[] a = npArange(numTrain, 0, -((double) numTrain / steps));
				out = new long[a.length];
				for (int i = 0; i < a.length; i++) out[i] = (long) Math.rint(a[i]) - 1;
			}
			default -> throw new IllegalArgumentException(where + ": unknown timestep_spacing '" + spacing + "'");
		}
		return out;
	}

	static void checkSteps(int steps, int numTrain, String where) {
		if (steps < 1 || steps > numTrain)
			throw new IllegalArgumentException("number of inference steps must be in 1.." + numTrain + " for " + where
				+ ", got " + steps);
	}

	/** Integer timesteps as the doubles {@link Sampler#timesteps()} hands out. */
	static double[] toDouble(long[] t) {
		double[] d = new double[t.length];
		for (int i = 0; i < d.length; i++) d[i] = t[i];
		return d;
	}

	/** Float timesteps (Euler's fractional ones) as doubles. */
	static double[] toDouble(float[] t) {
		double[] d = new double[t.length];
		for (int i = 0; i < d.length; i++) d[i] = t[i];
		return d;
	}
}
