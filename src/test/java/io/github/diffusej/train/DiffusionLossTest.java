package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.schedule.SchedulerConfig;
import io.github.diffusej.testutil.Golden;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link DiffusionLoss}: the plain MSE, masks normalised by their area, min-SNR weights for epsilon and v-prediction
 * computed here from the scheduler config (tiny-sd1's {@code scaled_linear} betas in double), per-image weights, and
 * the v-prediction target of a model whose scheduler config says {@code v_prediction}.
 */
class DiffusionLossTest {

	static final int B = 3, C = 4, H = 4, W = 6;

	/** alphas_cumprod of diffusers' DDPMScheduler for tiny-sd1's config, in double. */
	static double[] alphasCumprod() {
		int n = 1000;
		double a = Math.sqrt(0.00085), b = Math.sqrt(0.012), acc = 1;
		double[] ab = new double[n];
		for (int t = 0; t < n; t++) {
			double sq = a + (b - a) * t / (n - 1);
			acc *= 1 - sq * sq;
			ab[t] = acc;
		}
		return ab;
	}

	static NoiseSchedule tinySchedule() throws Exception {
		return NoiseSchedule.of(SchedulerConfig.read(Golden.tinySd1Model().resolve("scheduler/scheduler_config.json")));
	}

	static float[] random(Random r, int n) {
		float[] f = new float[n];
		for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
		return f;
	}

	/** Per image: the mean of (p - t)^2 over the elements where {@code mask} (h x w, per image) is 1, or all. */
	static double[] perImage(float[] p, float[] t, float[] mask) {
		double[] out = new double[B];
		int per = C * H * W;
		for (int i = 0; i < B; i++) {
			double sum = 0, n = 0;
			for (int c = 0; c < C; c++)
				for (int j = 0; j < H * W; j++) {
					double m = mask == null ? 1 : mask[i * H * W + j];
					double d = p[i * per + c * H * W + j] - t[i * per + c * H * W + j];
					sum += m * d * d;
					n += m;
				}
			out[i] = sum / n;
		}
		return out;
	}

	static double mean(double[] v) {
		double s = 0;
		for (double x : v) s += x;
		return s / v.length;
	}

	@Test
	void plainMaskedWeightedAndMinSnr() throws Exception {
		NoiseSchedule schedule = tinySchedule();
		double[] ab = alphasCumprod();
		Random r = new Random(1);
		float[] p = random(r, B * C * H * W), t = random(r, B * C * H * W);
		long[] steps = {5, 400, 990};
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray pred = m.create(p, new Shape(B, C, H, W)), target = m.create(t, new Shape(B, C, H, W));
			DiffusionLoss eps = new DiffusionLoss(schedule, PredictionType.EPSILON, 0);
			double plain = mean(perImage(p, t, null));
			assertEquals(plain, eps.compute(pred, target, null, steps, null).getFloat(), 1e-6, "mean((p - t)^2)");
			assertNull(eps.weights(steps, null), "no weights without min-SNR and image weights");

			// an all-ones mask is no mask; a half mask averages over its half only
			float[] ones = new float[B * H * W];
			java.util.Arrays.fill(ones, 1f);
			NDArray onesMask = m.create(ones, new Shape(B, 1, H, W));
			assertEquals(plain, eps.compute(pred, target, onesMask, steps, null).getFloat(), 1e-6, "all-ones mask");
			float[] half = new float[B * H * W];
			for (int i = 0; i < B; i++)
				for (int y = 0; y < H; y++)
					for (int x = 0; x < W; x++) half[i * H * W + y * W + x] = x < W / 2 ? 1 : 0;
			NDArray halfMask = m.create(half, new Shape(B, 1, H, W));
			double halfLoss = mean(perImage(p, t, half));
			assertEquals(halfLoss, eps.compute(pred, target, halfMask, steps, null).getFloat(), 1e-6, "half mask");
			// normalised by area: an error of 1 everywhere is a loss of 1 under any mask, however small
			float[] off = t.clone();
			for (int i = 0; i < off.length; i++) off[i] += 1;
			float[] corner = new float[B * H * W];
			for (int i = 0; i < B; i++) corner[i * H * W] = 1;
			NDArray offPred = m.create(off, new Shape(B, C, H, W));
			for (float[] mask : new float[][] {ones, half, corner})
				assertEquals(1.0, eps.compute(offPred, target, m.create(mask, new Shape(B, 1, H, W)), steps, null).getFloat(),
					1e-6, "a unit error under a mask");

			// per-image weights
			double[] iw = {1.0, 0.25, 2.0};
			double[] per = perImage(p, t, null);
			double weighted = (per[0] * iw[0] + per[1] * iw[1] + per[2] * iw[2]) / 3;
			assertEquals(weighted, eps.compute(pred, target, null, steps, iw).getFloat(), 1e-6, "per-image weights");
			double[] perHalf = perImage(p, t, half);
			assertEquals((perHalf[0] * iw[0] + perHalf[1] * iw[1] + perHalf[2] * iw[2]) / 3,
				eps.compute(pred, target, halfMask, steps, iw).getFloat(), 1e-6, "weights and mask");

			// min-SNR: w = min(snr, g) / snr (epsilon), min(snr, g) / (snr + 1) (v-prediction)
			double gamma = 5;
			DiffusionLoss epsSnr = new DiffusionLoss(schedule, PredictionType.EPSILON, gamma);
			DiffusionLoss vSnr = new DiffusionLoss(schedule, PredictionType.V_PREDICTION, gamma);
			double[] we = epsSnr.weights(steps, null), wv = vSnr.weights(steps, null), wei = epsSnr.weights(steps, iw);
			double expectedEps = 0, expectedV = 0;
			for (int i = 0; i < B; i++) {
				double snr = ab[(int) steps[i]] / (1 - ab[(int) steps[i]]);
				assertEquals(Math.min(snr, gamma) / snr, we[i], 1e-4 * we[i], "epsilon weight at t=" + steps[i]);
				assertEquals(Math.min(snr, gamma) / (snr + 1), wv[i], 1e-4 * wv[i], "v weight at t=" + steps[i]);
				assertEquals(we[i] * iw[i], wei[i], 1e-12, "min-SNR times the image weight");
				expectedEps += per[i] * Math.min(snr, gamma) / snr / B;
				expectedV += per[i] * Math.min(snr, gamma) / (snr + 1) / B;
			}
			assertEquals(gamma / (ab[5] / (1 - ab[5])), we[0], 1e-4 * we[0], "low t: SNR above gamma, clipped");
			assertEquals(1.0, we[2], 0.0, "high t: SNR below gamma, weight 1 for epsilon");
			assertEquals(expectedEps, epsSnr.compute(pred, target, null, steps, null).getFloat(), 1e-4 * expectedEps);
			assertEquals(expectedV, vSnr.compute(pred, target, null, steps, null).getFloat(), 1e-4 * expectedV);
		}
	}

	/**
	 * A model whose scheduler config says v_prediction (tiny-sd1 loaded with the loader's prediction-type option, as
	 * an SD 2.x 768-v model is): the schedule and the loss take v = sqrt(abar) eps - sqrt(1 - abar) x0 as target,
	 * and a training step's loss is the MSE of the UNet's output against it.
	 */
	@Test
	void vPredictionTargetFromTheModelsSchedulerConfig() throws Exception {
		double[] ab = alphasCumprod();
		try (StableDiffusionModel model = StableDiffusionModel.load(Golden.tinySd1Model(),
			LoadOptions.defaults().withPredictionType(PredictionType.V_PREDICTION), Device.cpu(), DataType.FLOAT32, x -> {});
			NDManager m = model.manager().newSubManager();
			Trainables trainables = new Trainables(m.newSubManager());
			TextualInversion ti = new TextualInversion())
		{
			NoiseSchedule schedule = NoiseSchedule.of(model.schedulerConfig());
			assertEquals(PredictionType.V_PREDICTION, schedule.predictionType());
			ti.attach(model, TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION), trainables, new io.github.diffusej.Rng(1));
			DiffusionLoss loss = new DiffusionLoss(schedule, schedule.predictionType(), 0);
			Random r = new Random(2);
			int c = model.latentChannels(), h = 4, w = 4, n = 2;
			float[] x0 = random(r, n * c * h * w), eps = random(r, n * c * h * w);
			long[] t = {100, 800};
			try (NDScope scope = new NDScope(); NDManager s = m.newSubManager()) {
				Shape shape = new Shape(n, c, h, w);
				NDArray x = s.create(x0, shape), e = s.create(eps, shape), ts = s.create(t);
				float[] v = loss.target(x, e, ts).toFloatArray();
				int per = c * h * w;
				for (int i = 0; i < n; i++)
					for (int j = 0; j < per; j++) {
						double want = Math.sqrt(ab[(int) t[i]]) * eps[i * per + j] - Math.sqrt(1 - ab[(int) t[i]]) * x0[i * per + j];
						assertEquals(want, v[i * per + j], 1e-5, "v target");
					}
				NDArray ids = s.create(model.tokenizer().encode77("a photo of <my-cell>"), new Shape(1, 77)).repeat(0, 2);
				TrainingStep step = new TrainingStep(model, ti, trainables, loss, 1, Map.of(), null);
				double got = step.accumulate(new StepInputs(x, ids, e, t, null, null), null, 1.0);
				double want;
				try (GradMode ng = GradMode.noGrad()) {
					NDArray noisy = schedule.addNoise(x, e, ts);
					NDArray pred = model.unet().forward(noisy, ts, model.textEncoder().encode(ids, 0));
					float[] pr = pred.toFloatArray();
					double sum = 0;
					for (int k = 0; k < pr.length; k++) sum += (pr[k] - v[k]) * (pr[k] - (double) v[k]);
					want = sum / pr.length;
				}
				assertEquals(want, got, 1e-6 * want, "the step's loss is the MSE against v");
				trainables.clearGradients();
			}
		}
	}
}
