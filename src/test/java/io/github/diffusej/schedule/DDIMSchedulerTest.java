package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Golden: {@code sched_ddim.safetensors} (DDIMScheduler.from_config(tiny-sd1), 20 steps, η = 0). */
class DDIMSchedulerTest {

	static final String FILE = "sched_ddim.safetensors";

	@Test
	void timestepsAreLeadingWithOffsetExactly() throws IOException {
		DDIMScheduler s = new DDIMScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(FILE))) {
			assertArrayEquals(f.longs("timesteps"), s.timestepsLong());
		}
		assertEquals(951, s.timestepsLong()[0]);
		assertEquals(1, s.timestepsLong()[19]);
		assertEquals(0, s.sigmas().length);
		assertEquals(1f, s.initNoiseSigma());
	}

	@Test
	void trajectoryMatchesDiffusers() throws IOException {
		DDIMScheduler s = new DDIMScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		var e = GoldenTrajectory.replay(s, FILE);
		System.out.printf("%s: max abs err %.3g, max rel err %.3g over %d steps%n", FILE, e.maxAbs(), e.maxRel(),
			e.steps());
	}

	@Test
	void classDefaultsApplyWhenTheFileLacksKeys() {
		// DDIM defaults: clip_sample = true, set_alpha_to_one = true, leading spacing, offset 0
		DDIMScheduler s = new DDIMScheduler(SchedulerConfig.empty());
		assertEquals(true, s.config().clipSample());
		assertEquals(true, s.config().setAlphaToOne());
		s.setTimesteps(10);
		assertArrayEquals(new long[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, s.timestepsLong());
	}
}
