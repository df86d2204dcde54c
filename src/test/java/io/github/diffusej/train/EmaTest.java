package io.github.diffusej.train;

import static io.github.diffusej.train.OptimizerTesting.assertClose;
import static io.github.diffusej.train.OptimizerTesting.doubles;
import static io.github.diffusej.train.OptimizerTesting.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.train.optim.Ema;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Ema} against diffusers' {@code EMAModel} (training_utils.py) with its defaults (no EMA warm-up,
 * update_after_step 0, min_decay 0): {@code step()} counts {@code optimization_step += 1}, then uses
 * {@code decay = 0} when {@code optimization_step - 1 <= 0}, else {@code min(decay, (1 + k) / (10 + k))} with
 * {@code k = optimization_step - 1}, and updates {@code shadow -= (1 - decay)(shadow - param)}.
 */
class EmaTest {

	/** diffusers' EMAModel.get_decay for the defaults. */
	static double diffusersDecay(int optimizationStep, double maxDecay) {
		int step = Math.max(0, optimizationStep - 0 - 1);
		if (step <= 0) return 0.0;
		return Math.max(Math.min((1.0 + step) / (10.0 + step), maxDecay), 0.0);
	}

	@Test
	void decayScheduleIsDiffusers() {
		try (NDManager m = NDManager.newBaseManager()) {
			Ema ema = new Ema(m, 0.9);
			assertEquals(0.0, ema.decayAt(1), 0.0, "the first update copies");
			assertEquals(2.0 / 11, ema.decayAt(2), 1e-15);
			assertEquals(0.9, ema.decayAt(200), 0.0, "capped at the configured decay");
			for (int n = 1; n < 300; n++) assertEquals(diffusersDecay(n, 0.9), ema.decayAt(n), 1e-15, "update " + n);
		}
	}

	@Test
	void valuesOverSeveralUpdatesAndRestore() {
		try (NDManager m = NDManager.newBaseManager()) {
			double decay = 0.5;
			Ema ema = new Ema(m, decay);
			double[] shadowRef = null;
			NDArray p = tensor(m, new double[] {1, -2, 3});
			Map<String, NDArray> values = Map.of("p", p);
			double[][] seq = {{1, -2, 3}, {2, 0, 1}, {0.5, 0.5, 0.5}, {-1, 4, 2}, {3, 3, -3}, {0, 1, 0}};
			for (int n = 0; n < seq.length; n++) {
				try (NDManager s = m.newSubManager()) {
					NDArray next = s.create(toFloats(seq[n]), new Shape(3));
					p.set(next.toByteBuffer());
				}
				ema.update(values);
				double d = diffusersDecay(n + 1, decay);
				if (shadowRef == null) shadowRef = seq[n].clone();
				else for (int i = 0; i < 3; i++) shadowRef[i] -= (1 - d) * (shadowRef[i] - seq[n][i]);
				assertClose("shadow after update " + (n + 1), shadowRef, doubles(ema.values().get("p")), 1e-6, 1e-6);
				if (n == 2) {
					// save (as a checkpoint does), restore into a new EMA and continue both
					Map<String, NDArray> saved = new LinkedHashMap<>();
					Ema restored = new Ema(m, decay);
					try (NDManager scratch = m.newSubManager()) {
						saved.put("p", scratch.create(ema.values().get("p").toFloatArray(), new Shape(3)));
						restored.restore(saved, ema.updates());
					}
					System.gc();
					assertEquals(3, restored.updates());
					for (int k = n + 1; k < seq.length; k++) {
						try (NDManager s = m.newSubManager()) {
							p.set(s.create(toFloats(seq[k]), new Shape(3)).toByteBuffer());
						}
						restored.update(values);
					}
					float[] resumed = restored.values().get("p").toFloatArray();
					// the original continues below; compare at the end
					restoredEnd = resumed;
					restored.close();
					try (NDManager s = m.newSubManager()) {
						p.set(s.create(toFloats(seq[n]), new Shape(3)).toByteBuffer());
					}
				}
			}
			assertArrayEquals(ema.values().get("p").toFloatArray(), restoredEnd, "restored EMA continued differently");
			assertEquals(6, ema.updates());
			// the shadow is a copy: changing the tensor later does not change it
			float[] shadow = ema.values().get("p").toFloatArray();
			p.set(java.nio.FloatBuffer.wrap(new float[] {9, 9, 9}));
			assertArrayEquals(shadow, ema.values().get("p").toFloatArray());
			ema.close();
		}
	}

	private float[] restoredEnd;

	private static float[] toFloats(double[] d) {
		float[] f = new float[d.length];
		for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
		return f;
	}
}
