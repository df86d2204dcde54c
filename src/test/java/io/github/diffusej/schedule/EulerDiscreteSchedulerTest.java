package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Golden: {@code sched_euler.safetensors} (EulerDiscreteScheduler.from_config(tiny-sd1), 20 steps). */
class EulerDiscreteSchedulerTest {

	static final String FILE = "sched_euler.safetensors";

	static float[] toFloat(double[] d) {
		float[] f = new float[d.length];
		for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
		return f;
	}

	@Test
	void timestepsAndSigmasAreBitIdentical() throws IOException {
		EulerDiscreteScheduler s = new EulerDiscreteScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(FILE))) {
			// the reference stores float32 timesteps; ours are the same float32 values widened to double
			assertArrayEquals(f.floats("timesteps"), toFloat(s.timesteps()), 0f, "timesteps (float32, exact)");
			for (double t : s.timesteps()) assertEquals(t, (double) (float) t, 0.0, "timesteps are float32 values");
			assertArrayEquals(f.floats("sigmas"), s.sigmas(), 0f, "sigmas (float32, exact)");
		}
		assertEquals(999.0, s.timesteps()[0]);
		assertEquals(0.0, s.timesteps()[19]);
		assertEquals(0f, s.sigmas()[20], "Euler ends at sigma 0");
		assertEquals(14.614645004272461f, s.initNoiseSigma(), 0f, "linspace: init_noise_sigma = max sigma");
	}

	@Test
	void trajectoryMatchesDiffusers() throws IOException {
		EulerDiscreteScheduler s = new EulerDiscreteScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		var e = GoldenTrajectory.replay(s, FILE);
		System.out.printf("%s: max abs err %.3g, max rel err %.3g over %d steps%n", FILE, e.maxAbs(), e.maxRel(),
			e.steps());
	}

	@Test
	void leadingSpacingUsesTheLargerInitSigma() throws IOException {
		SchedulerConfig c = SchedulerConfig.parse(com.google.gson.JsonParser.parseString(
			"{\"beta_schedule\":\"scaled_linear\",\"beta_start\":0.00085,\"beta_end\":0.012,"
				+ "\"timestep_spacing\":\"leading\",\"steps_offset\":1}").getAsJsonObject(), null);
		EulerDiscreteScheduler s = new EulerDiscreteScheduler(c);
		s.setTimesteps(10);
		assertArrayEquals(new double[] {901, 801, 701, 601, 501, 401, 301, 201, 101, 1}, s.timesteps());
		float max = s.sigmas()[0];
		assertEquals((float) Math.sqrt(max * max + 1f), s.initNoiseSigma(), 0f);
	}
}
