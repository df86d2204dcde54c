package io.github.diffusej.train;

import static io.github.diffusej.train.OptimizerTesting.assertClose;
import static io.github.diffusej.train.OptimizerTesting.doubles;
import static io.github.diffusej.train.OptimizerTesting.roundToFloat;
import static io.github.diffusej.train.OptimizerTesting.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.github.diffusej.train.optim.AdamW;
import io.github.diffusej.train.optim.Optimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link AdamW} against a double-precision transcription of {@code torch.optim.AdamW.step} (single-tensor path):
 * {@code step += 1; p *= 1 - lr wd; m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g²;
 * p -= (lr / (1 - b1^step)) m / (sqrt(v) / sqrt(1 - b2^step) + eps)}, with a step count per tensor and each
 * tensor's own rate (its parameter group's).
 */
class AdamWTest {

	static final double B1 = 0.9, B2 = 0.99, EPS = 1e-8, WD = 0.05;

	/** The torch reference state of one tensor. */
	static final class Ref {
		final double[] p;
		final double[] m;
		final double[] v;
		int step;

		Ref(double[] p0) {
			p = p0.clone();
			m = new double[p0.length];
			v = new double[p0.length];
		}

		void step(double[] g, double lr) {
			step++;
			for (int i = 0; i < p.length; i++) {
				p[i] *= 1 - lr * WD;
				m[i] += (g[i] - m[i]) * (1 - B1);
				v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
			}
			double bc1 = 1 - Math.pow(B1, step), bc2 = 1 - Math.pow(B2, step);
			for (int i = 0; i < p.length; i++) p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + EPS);
		}
	}

	/** Gradients of a fixed sequence, depending on the step and tensor only (rounded to float32). */
	static double[] grad(Random r, int n) {
		double[] g = new double[n];
		for (int i = 0; i < n; i++) g[i] = r.nextGaussian() * (i % 3 == 0 ? 1e-3 : 1.0);
		return roundToFloat(g);
	}

	@Test
	void severalStepsMatchTorchWithPerTensorStepsAndRates() {
		try (NDManager m = NDManager.newBaseManager()) {
			Random init = new Random(3);
			double[] a0 = roundToFloat(new double[] {0.5, -1.25, 2.0, 0.0, 3.5, -0.75});
			double[] b0 = new double[4];
			for (int i = 0; i < 4; i++) b0[i] = (float) init.nextGaussian();
			NDArray a = tensor(m, a0), b = tensor(m, b0);
			Ref ra = new Ref(a0), rb = new Ref(b0);
			AdamW adam = new AdamW(m, B1, B2, EPS, WD);
			Random gr = new Random(11);
			double[] lrs = {0, 1e-2, 2e-2, 2e-2, 1.5e-2, 1e-2, 5e-3, 1e-3};
			for (int s = 0; s < lrs.length; s++) {
				double[] ga = grad(gr, a0.length), gb = grad(gr, b0.length);
				try (NDManager scratch = m.newSubManager()) {
					List<Optimizer.Param> params = new ArrayList<>();
					params.add(new Optimizer.Param("a", a, tensor(scratch, ga), 1.0));
					// "b" joins at the third update (its own bias corrections start there) at 0.3 x the base rate
					if (s >= 2) params.add(new Optimizer.Param("b", b, tensor(scratch, gb), 0.3));
					adam.step(params, lrs[s]);
				}
				ra.step(ga, lrs[s]);
				if (s >= 2) rb.step(gb, 0.3 * lrs[s]);
				assertClose("a after update " + s, ra.p, doubles(a), 1e-6, 1e-6);
				assertClose("b after update " + s, rb.p, doubles(b), 1e-6, 1e-6);
			}
			JsonObject steps = adam.stateScalars().getAsJsonObject("steps");
			assertEquals(8, steps.get("a").getAsInt());
			assertEquals(6, steps.get("b").getAsInt());
			assertClose("exp_avg of b", rb.m, doubles(adam.stateTensors().get("exp_avg/b")), 1e-7, 1e-5);
			assertClose("exp_avg_sq of b", rb.v, doubles(adam.stateTensors().get("exp_avg_sq/b")), 1e-9, 1e-5);
			adam.close();
		}
	}

	/** The first step of Adam moves each element by lr, against the gradient's sign (bias corrections cancel). */
	@Test
	void theFirstStepIsTheSignOfTheGradient() {
		try (NDManager m = NDManager.newBaseManager(); NDManager scratch = m.newSubManager()) {
			NDArray p = tensor(m, new double[] {1, 1, 1});
			AdamW adam = new AdamW(m, 0.9, 0.999, 1e-8, 0);
			adam.step(List.of(new Optimizer.Param("p", p, tensor(scratch, new double[] {3, -0.02, 0.5}), 1)), 0.1);
			assertClose("p", new double[] {0.9, 1.1, 0.9}, doubles(p), 1e-6, 0);
			adam.close();
		}
	}

	@Test
	void aRestoredStateContinuesBitForBit() {
		try (NDManager m = NDManager.newBaseManager()) {
			double[] a0 = {0.5, -1.25, 2.0, 0.25}, b0 = {1, 2};
			NDArray a = tensor(m, a0), b = tensor(m, b0);
			AdamW adam = new AdamW(m, B1, B2, EPS, WD);
			Random gr = new Random(5);
			List<double[]> grads = new ArrayList<>();
			for (int s = 0; s < 8; s++) grads.add(grad(gr, 6));
			for (int s = 0; s < 4; s++) step(adam, m, a, b, grads.get(s), s >= 1);
			OptimizerTesting.Saved saved = OptimizerTesting.Saved.of(adam);
			NDArray a2 = tensor(m, doubles(a)), b2 = tensor(m, doubles(b));
			AdamW resumed = new AdamW(m, B1, B2, EPS, WD);
			saved.restoreInto(resumed, m);
			System.gc(); // the Java buffers the restore was given may be reused now
			assertEquals(adam.stateScalars(), resumed.stateScalars());
			for (int s = 4; s < 8; s++) {
				step(adam, m, a, b, grads.get(s), true);
				step(resumed, m, a2, b2, grads.get(s), true);
			}
			assertArrayEquals(a.toFloatArray(), a2.toFloatArray(), "a: straight vs saved, restored and continued");
			assertArrayEquals(b.toFloatArray(), b2.toFloatArray(), "b: straight vs saved, restored and continued");
			// and a fresh optimizer (no state) would not have continued the same way
			NDArray a3 = tensor(m, doubles(a2));
			AdamW fresh = new AdamW(m, B1, B2, EPS, WD);
			step(fresh, m, a3, tensor(m, b0), grads.get(0), true);
			step(resumed, m, a2, b2, grads.get(0), true);
			assertTrue(!java.util.Arrays.equals(a2.toFloatArray(), a3.toFloatArray()), "state made no difference");
			adam.close();
			resumed.close();
			fresh.close();
		}
	}

	private static void step(AdamW adam, NDManager m, NDArray a, NDArray b, double[] g, boolean withB) {
		try (NDManager scratch = m.newSubManager()) {
			List<Optimizer.Param> params = new ArrayList<>();
			params.add(new Optimizer.Param("a", a, tensor(scratch, java.util.Arrays.copyOfRange(g, 0, 4)), 1));
			if (withB) params.add(new Optimizer.Param("b", b, tensor(scratch, java.util.Arrays.copyOfRange(g, 4, 6)), 0.5));
			adam.step(params, 1e-2);
		}
	}

	@Test
	void anotherOptimizersStateIsRefused() {
		try (NDManager m = NDManager.newBaseManager()) {
			JsonObject prodigy = new JsonObject();
			prodigy.addProperty("type", "prodigy");
			AdamW adam = new AdamW(m, B1, B2, EPS, WD);
			Map<String, NDArray> none = new LinkedHashMap<>();
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.restore(none, prodigy));
			assertTrue(e.getMessage().contains("'prodigy', not adamw"), e.getMessage());
		}
	}
}
