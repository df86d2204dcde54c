package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The forward (noising) process of DDPM (Ho et al. 2020) over the train timesteps 0..N−1: β_t, α_t = 1 − β_t,
 * ᾱ_t = ∏_{s≤t} α_s, and the training-side functions built on them.
 *
 * <p>Tables are float32 and computed like diffusers v0.25.1 (float32 torch tensors): {@code scaled_linear} is
 * {@code linspace(√β_start, √β_end, N, float32)²}, {@code linear} is the float32 linspace itself (PyTorch's CPU
 * kernel, see {@link Tables#torchLinspaceF32}), {@code squaredcos_cap_v2} is computed in double and rounded;
 * {@code cumprod} accumulates in double and rounds each entry to float32 as PyTorch's CPU kernel does.
 *
 * <p>The tensor functions ({@link #addNoise}, {@link #velocity}, {@link #target}) are plain NDArray arithmetic:
 * gradients flow through {@code x0} and {@code noise}; the coefficient tables are constants gathered per sample
 * from a batch of timesteps. They operate in the dtype and on the device of {@code x0}.
 */
public final class NoiseSchedule {

	private final float[] betas;
	private final float[] alphasCumprod;
	private final float[] sqrtAlphasCumprod;
	private final float[] sqrtOneMinusAlphasCumprod;
	private final PredictionType predictionType;

	private NoiseSchedule(float[] betas, PredictionType predictionType) {
		this.betas = betas;
		this.predictionType = predictionType;
		int n = betas.length;
		alphasCumprod = new float[n];
		double acc = 1.0;
		for (int t = 0; t < n; t++) {
			acc *= (1f - betas[t]);
			alphasCumprod[t] = (float) acc;
		}
		sqrtAlphasCumprod = new float[n];
		sqrtOneMinusAlphasCumprod = new float[n];
		for (int t = 0; t < n; t++) {
			sqrtAlphasCumprod[t] = Tables.sqrtF(alphasCumprod[t]);
			sqrtOneMinusAlphasCumprod[t] = Tables.sqrtF(1f - alphasCumprod[t]);
		}
	}

	/** The schedule of {@code DDPMScheduler.from_config(config)} (the training noise of the diffusers scripts). */
	public static NoiseSchedule of(SchedulerConfig config) {
		return of(config, SchedulerConfig.Family.DDPM);
	}

	/** The schedule as built by the given scheduler class (only defaults differ). */
	static NoiseSchedule of(SchedulerConfig raw, SchedulerConfig.Family family) {
		SchedulerConfig c = raw.withDefaultsOf(family);
		int n = c.numTrainTimesteps();
		if (n < 2) throw new IllegalArgumentException(c.where() + ": num_train_timesteps must be at least 2, found " + n);
		float[] betas;
		if (c.trainedBetas() != null) {
			betas = c.trainedBetas().clone();
			if (betas.length != n) throw new IllegalArgumentException(c.where() + ": trained_betas has " + betas.length
				+ " entries but num_train_timesteps is " + n);
		} else {
			betas = switch (c.betaSchedule()) {
				case "linear" -> Tables.torchLinspaceF32(c.betaStart(), c.betaEnd(), n);
				case "scaled_linear" -> {
					float[] r = Tables.torchLinspaceF32(Math.sqrt(c.betaStart()), Math.sqrt(c.betaEnd()), n);
					for (int i = 0; i < n; i++) r[i] = r[i] * r[i];
					yield r;
				}
				case "squaredcos_cap_v2" -> cosineBetas(n);
				default -> throw new IllegalArgumentException(c.where() + ": unknown beta_schedule '" + c.betaSchedule()
					+ "'");
			};
		}
		if (c.rescaleBetasZeroSnr()) {
			if (family != SchedulerConfig.Family.DDPM && family != SchedulerConfig.Family.DDIM)
				throw c.unsupported("rescale_betas_zero_snr", true, family.toString());
			betas = rescaleZeroTerminalSnr(betas);
		}
		return new NoiseSchedule(betas, c.prediction());
	}

	/** Nichol &amp; Dhariwal 2021, eq. 17 (cosine ᾱ), discretised with β capped at 0.999; float64 then float32. */
	private static float[] cosineBetas(int n) {
		float[] b = new float[n];
		for (int i = 0; i < n; i++) {
			double t1 = (double) i / n;
			double t2 = (double) (i + 1) / n;
			b[i] = (float) Math.min(1 - alphaBarCos(t2) / alphaBarCos(t1), 0.999);
		}
		return b;
	}

	private static double alphaBarCos(double t) {
		double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
		return c * c;
	}

	/** Lin et al. 2024 ("Common diffusion noise schedules are flawed"), Algorithm 1, in float32. */
	private static float[] rescaleZeroTerminalSnr(float[] betas) {
		int n = betas.length;
		float[] s = new float[n];
		double acc = 1.0;
		for (int t = 0; t < n; t++) {
			acc *= (1f - betas[t]);
			s[t] = Tables.sqrtF((float) acc);
		}
		float s0 = s[0];
		float sT = s[n - 1];
		float scale = s0 / (s0 - sT);
		for (int t = 0; t < n; t++) s[t] = (s[t] - sT) * scale;
		float[] ab = new float[n];
		for (int t = 0; t < n; t++) ab[t] = s[t] * s[t];
		float[] out = new float[n];
		out[0] = 1f - ab[0];
		for (int t = 1; t < n; t++) out[t] = 1f - ab[t] / ab[t - 1];
		return out;
	}

	public int numTrainTimesteps() {
		return betas.length;
	}

	public float[] betas() {
		return betas.clone();
	}

	public float[] alphasCumprod() {
		return alphasCumprod.clone();
	}

	/** ᾱ_t. */
	public float alphaCumprod(int t) {
		return alphasCumprod[t];
	}

	public PredictionType predictionType() {
		return predictionType;
	}

	/** Package view of the table without a copy. */
	float[] alphasCumprodTable() {
		return alphasCumprod;
	}

	/**
	 * q(x_t | x_0) sampled with the given noise (Ho et al. 2020, eq. 4): x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε.
	 *
	 * @param x0 clean samples [B, ...]
	 * @param noise ε, same shape as {@code x0}
	 * @param timesteps integer train timesteps [B] (one per sample) or a scalar
	 */
	public NDArray addNoise(NDArray x0, NDArray noise, NDArray timesteps) {
		NDArray a = perSample(sqrtAlphasCumprod, timesteps, x0);
		NDArray b = perSample(sqrtOneMinusAlphasCumprod, timesteps, x0);
		return a.mul(x0).add(b.mul(noise));
	}

	/** The v-prediction target (Salimans &amp; Ho 2022, eq. 7 and §4): v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀. */
	public NDArray velocity(NDArray x0, NDArray noise, NDArray timesteps) {
		NDArray a = perSample(sqrtAlphasCumprod, timesteps, x0);
		NDArray b = perSample(sqrtOneMinusAlphasCumprod, timesteps, x0);
		return a.mul(noise).sub(b.mul(x0));
	}

	/** The regression target of the diffusers training scripts for the given prediction type. */
	public NDArray target(PredictionType type, NDArray x0, NDArray noise, NDArray timesteps) {
		return switch (type) {
			case EPSILON -> noise;
			case V_PREDICTION -> velocity(x0, noise, timesteps);
			case SAMPLE -> x0;
		};
	}

	/** {@link #target(PredictionType, NDArray, NDArray, NDArray)} with the config's prediction type. */
	public NDArray target(NDArray x0, NDArray noise, NDArray timesteps) {
		return target(predictionType, x0, noise, timesteps);
	}

	/** table[timesteps] shaped [B, 1, ..., 1] to broadcast against {@code like}, in its dtype and device. */
	private static NDArray perSample(float[] table, NDArray timesteps, NDArray like) {
		long[] ts = timesteps.toType(DataType.INT64, false).toLongArray();
		float[] v = new float[ts.length];
		for (int i = 0; i < ts.length; i++) {
			if (ts[i] < 0 || ts[i] >= table.length)
				throw new IllegalArgumentException("timestep " + ts[i] + " outside 0.." + (table.length - 1));
			v[i] = table[(int) ts[i]];
		}
		long[] shape = new long[Math.max(like.getShape().dimension(), 1)];
		java.util.Arrays.fill(shape, 1);
		if (timesteps.getShape().dimension() > 0) shape[0] = ts.length;
		NDManager m = like.getManager();
		NDArray c = m.create(v, new Shape(shape)).toDevice(like.getDevice(), false);
		return like.getDataType() == DataType.FLOAT32 ? c : c.toType(like.getDataType(), false);
	}
}
