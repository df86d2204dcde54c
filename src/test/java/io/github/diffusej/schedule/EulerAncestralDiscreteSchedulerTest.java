package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Euler ancestral has no golden trajectory (it is stochastic). Its tables are the Euler ones (checked against
 * {@code sched_euler.safetensors}); its step is checked against an independent scalar evaluation of the formulas
 * with a deterministic noise source, and against the Euler sampler where the noise variance is zero.
 */
class EulerAncestralDiscreteSchedulerTest {

	static final Shape SHAPE = new Shape(2, 4, 8, 8);

	/** Deterministic "N(0,1)" values: a different, known pattern for every call; records the requests. */
	static final class PatternNoise implements NoiseSource {
		final List<Shape> shapes = new ArrayList<>();
		final List<DataType> types = new ArrayList<>();

		static float value(int call, int j) {
			return (float) Math.sin(0.37 * j + 1.3 * call + 0.1) * 1.5f;
		}

		@Override
		public NDArray randn(NDManager manager, Shape shape, DataType dtype) {
			int call = shapes.size();
			shapes.add(shape);
			types.add(dtype);
			float[] v = new float[(int) shape.size()];
			for (int j = 0; j < v.length; j++) v[j] = value(call, j);
			return manager.create(v, shape).toType(dtype, false);
		}
	}

	static NoiseSource zeros() {
		return (manager, shape, dtype) -> manager.zeros(shape, dtype);
	}

	static float[] input(int n, double phase) {
		float[] x = new float[n];
		for (int j = 0; j < n; j++) x[j] = (float) (3 * Math.cos(0.11 * j + phase));
		return x;
	}

	@Test
	void tablesAreTheEulerGoldenOnes() throws IOException {
		var s = new EulerAncestralDiscreteScheduler(GoldenTrajectory.sd1Config(), new PatternNoise());
		s.setTimesteps(20);
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(EulerDiscreteSchedulerTest.FILE))) {
			assertArrayEquals(f.floats("timesteps"), EulerDiscreteSchedulerTest.toFloat(s.timesteps()), 0f);
			assertArrayEquals(f.floats("sigmas"), s.sigmas(), 0f);
		}
		assertEquals(14.614645004272461f, s.initNoiseSigma(), 0f);
	}

	@Test
	void everyStepMatchesAHandEvaluationOfTheAncestralFormulas() throws IOException {
		PatternNoise noise = new PatternNoise();
		var s = new EulerAncestralDiscreteScheduler(GoldenTrajectory.sd1Config(), noise);
		s.setTimesteps(10);
		float[] sig = s.sigmas();
		int n = (int) SHAPE.size();
		try (NDManager m = NDManager.newBaseManager()) {
			float[] x = input(n, 0.0);
			for (int i = 0; i < 10; i++) {
				float[] eps = input(n, 1.0 + i);
				NDArray out = s.step(m.create(eps, SHAPE), i, m.create(x, SHAPE));
				// independent evaluation, in double, of: x0 = x − σ·ε; d = (x − x0)/σ;
				// σ_up = √(σ_to²(σ²−σ_to²)/σ²); σ_down = √(σ_to² − σ_up²); x' = x + d·(σ_down − σ) + σ_up·z
				double from = sig[i];
				double to = sig[i + 1];
				double up = Math.sqrt(to * to * (from * from - to * to) / (from * from));
				double down = Math.sqrt(to * to - up * up);
				assertEquals(to * to, up * up + down * down, 1e-9 * (1 + to * to), "σ_up² + σ_down² = σ_to²");
				if (i < 9) assertTrue(up > 0.05 * to, "noise must matter in this test (σ_up = " + up + ")");
				float[] got = out.toFloatArray();
				for (int j = 0; j < n; j++) {
					double x0 = x[j] - from * eps[j];
					double d = (x[j] - x0) / from;
					double expected = x[j] + d * (down - from) + up * PatternNoise.value(i, j);
					assertEquals(expected, got[j], 2e-6 * (1 + Math.abs(expected)), "step " + i + " element " + j);
				}
				x = got;
			}
			assertEquals(10, noise.shapes.size(), "one noise draw per step");
			for (int i = 0; i < 10; i++) {
				assertEquals(SHAPE, noise.shapes.get(i));
				assertEquals(DataType.FLOAT32, noise.types.get(i));
			}
		}
	}

	@Test
	void withZeroNoiseVarianceItIsADeterministicEulerStep() throws IOException {
		SchedulerConfig c = GoldenTrajectory.sd1Config();
		var anc = new EulerAncestralDiscreteScheduler(c, new PatternNoise());
		var euler = new EulerDiscreteScheduler(c);
		anc.setTimesteps(10);
		euler.setTimesteps(10);
		int n = (int) SHAPE.size();
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray x = m.create(input(n, 0.5), SHAPE);
			NDArray eps = m.create(input(n, 2.5), SHAPE);
			// the last step goes to σ = 0, so σ_up = σ_down = 0: whatever the noise, it equals Euler's step (to x̂0)
			float[] a = anc.step(eps, 9, x).toFloatArray();
			float[] e = euler.step(eps, 9, x).toFloatArray();
			assertArrayEquals(e, a, 1e-6f);
			// with a zero noise source an intermediate step is Euler's step to σ_down (< σ_next), i.e. not Euler's
			var quiet = new EulerAncestralDiscreteScheduler(c, zeros());
			quiet.setTimesteps(10);
			float[] sig = quiet.sigmas();
			float[] q = quiet.step(eps, 3, x).toFloatArray();
			float[] eu = euler.step(eps, 3, x).toFloatArray();
			double down = EulerAncestralDiscreteScheduler.sigmaDown(sig[4], EulerAncestralDiscreteScheduler.sigmaUp(sig[3], sig[4]));
			float[] xs = x.toFloatArray();
			float[] es = eps.toFloatArray();
			double maxDiffFromEuler = 0;
			for (int j = 0; j < n; j++) {
				double expected = xs[j] + es[j] * (down - sig[3]); // x + d·(σ_down − σ), d = ε for epsilon models
				assertEquals(expected, q[j], 2e-6 * (1 + Math.abs(expected)), "element " + j);
				maxDiffFromEuler = Math.max(maxDiffFromEuler, Math.abs(q[j] - eu[j]));
			}
			assertTrue(maxDiffFromEuler > 0.1, "the ancestral step must go below σ_next; diff " + maxDiffFromEuler);
		}
	}

	@Test
	void ancestralStepsWithTheEngineGeneratorHaveUnitNoise() throws IOException {
		var s = new EulerAncestralDiscreteScheduler(GoldenTrajectory.sd1Config(), NoiseSource.engine());
		var quiet = new EulerAncestralDiscreteScheduler(GoldenTrajectory.sd1Config(), zeros());
		s.setTimesteps(10);
		quiet.setTimesteps(10);
		Shape big = new Shape(4, 4, 64, 64);
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray x = m.zeros(big);
			NDArray eps = m.ones(big);
			float up = EulerAncestralDiscreteScheduler.sigmaUp(s.sigmas()[2], s.sigmas()[3]);
			NDArray z = s.step(eps, 2, x).sub(quiet.step(eps, 2, x)).div(up);
			float mean = z.mean().getFloat();
			float std = (float) Math.sqrt(z.pow(2).mean().getFloat() - mean * mean);
			assertEquals(0, mean, 0.02, "noise mean");
			assertEquals(1, std, 0.02, "noise std");
		}
	}
}
