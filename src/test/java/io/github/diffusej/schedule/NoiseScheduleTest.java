package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Golden: {@code sched_ddpm_add_noise.safetensors} (DDPMScheduler.from_config of tiny-sd1). */
class NoiseScheduleTest {

	static final String FILE = "sched_ddpm_add_noise.safetensors";

	@Test
	void betasAndAlphasCumprodAreBitIdentical() throws IOException {
		NoiseSchedule s = NoiseSchedule.of(GoldenTrajectory.sd1Config());
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(FILE))) {
			assertArrayEquals(f.floats("betas"), s.betas(), 0f, "betas (float32, exact)");
			assertArrayEquals(f.floats("alphas_cumprod"), s.alphasCumprod(), 0f, "alphas_cumprod (float32, exact)");
		}
	}

	@Test
	void addNoiseAndVelocityMatchDiffusersPerSampleTimesteps() throws IOException {
		NoiseSchedule s = NoiseSchedule.of(GoldenTrajectory.sd1Config());
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(FILE));
			NDManager m = NDManager.newBaseManager()) {
			NDArray x0 = f.load("x0", m);
			NDArray noise = f.load("noise", m);
			NDArray t = f.load("timesteps", m);
			assertEquals(DataType.INT64, t.getDataType());
			var tr = new GoldenTrajectory.Tracker(GoldenTrajectory.file(FILE));
			float[] noisy = f.floats("noisy");
			float[] velocity = f.floats("velocity");
			NDArray n = s.addNoise(x0, noise, t);
			assertEquals(x0.getShape(), n.getShape());
			tr.check("noisy", n.toFloatArray(), noisy, 0, noisy.length);
			tr.check("velocity", s.velocity(x0, noise, t).toFloatArray(), velocity, 0, velocity.length);
			tr.check("target(v_prediction)", s.target(PredictionType.V_PREDICTION, x0, noise, t).toFloatArray(),
				velocity, 0, velocity.length);
			assertSame(noise, s.target(PredictionType.EPSILON, x0, noise, t));
			assertSame(noise, s.target(x0, noise, t), "tiny-sd1 is an epsilon model");
			assertSame(x0, s.target(PredictionType.SAMPLE, x0, noise, t));
			System.out.printf("%s: add_noise/velocity max abs err %.3g%n", FILE, tr.maxAbs);
		}
	}

	@Test
	void timestepZeroKeepsTheSampleAndOutOfRangeFails() {
		NoiseSchedule s = NoiseSchedule.of(SchedulerConfig.empty());
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray x0 = m.ones(new ai.djl.ndarray.types.Shape(2, 3));
			NDArray noise = m.zeros(new ai.djl.ndarray.types.Shape(2, 3));
			NDArray t = m.create(new long[] {0, 999});
			float[] r = s.addNoise(x0, noise, t).toFloatArray();
			float a0 = (float) Math.sqrt(s.alphaCumprod(0));
			float a999 = (float) Math.sqrt(s.alphaCumprod(999));
			assertArrayEquals(new float[] {a0, a0, a0, a999, a999, a999}, r, 0f, "per-sample coefficients, row-wise");
			assertThrows(IllegalArgumentException.class, () -> s.addNoise(x0, noise, m.create(new long[] {0, 1000})));
		}
	}

	@Test
	void gradientsFlowThroughX0() {
		NoiseSchedule s = NoiseSchedule.of(SchedulerConfig.empty());
		try (NDManager m = NDManager.newBaseManager();
			var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
			NDArray x0 = m.ones(new ai.djl.ndarray.types.Shape(1, 2));
			x0.setRequiresGradient(true);
			NDArray noise = m.ones(new ai.djl.ndarray.types.Shape(1, 2));
			NDArray t = m.create(new long[] {500});
			NDArray v = s.velocity(x0, noise, t).sum();
			gc.backward(v);
			float expected = -(float) Math.sqrt(1f - s.alphaCumprod(500));
			assertArrayEquals(new float[] {expected, expected}, x0.getGradient().toFloatArray(), 1e-7f);
		}
	}

	@Test
	void linearAndCosineSchedulesAreSane() {
		NoiseSchedule lin = NoiseSchedule.of(SchedulerConfig.empty());
		float[] b = lin.betas();
		assertEquals(1e-4f, b[0], 0f);
		assertEquals(0.02f, b[999], 0f);
		SchedulerConfig cos = SchedulerConfig.parse(com.google.gson.JsonParser.parseString(
			"{\"beta_schedule\":\"squaredcos_cap_v2\"}").getAsJsonObject(), null);
		float[] c = NoiseSchedule.of(cos).betas();
		assertEquals(0.999f, c[999], 0f, "cosine betas are capped at 0.999");
		for (int i = 1; i < 999; i++) assertEquals(true, c[i] >= c[i - 1], "cosine betas increase");
	}
}
