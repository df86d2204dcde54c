package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Golden: {@code sched_pndm.safetensors} (PNDMScheduler from tiny-sd1, skip_prk_steps = true, 20 steps → 21 calls). */
class PNDMSchedulerTest {

	static final String FILE = "sched_pndm.safetensors";

	@Test
	void timestepsRepeatTheSecondExactly() throws IOException {
		PNDMScheduler s = new PNDMScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(FILE))) {
			assertArrayEquals(f.longs("timesteps"), s.timestepsLong());
		}
		assertEquals(21, s.numSteps());
		long[] t = s.timestepsLong();
		assertEquals(951, t[0]);
		assertEquals(901, t[1]);
		assertEquals(901, t[2]);
		assertEquals(1, t[20]);
	}

	@Test
	void trajectoryMatchesDiffusers() throws IOException {
		PNDMScheduler s = new PNDMScheduler(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		var e = GoldenTrajectory.replay(s, FILE);
		System.out.printf("%s: max abs err %.3g, max rel err %.3g over %d steps%n", FILE, e.maxAbs(), e.maxRel(),
			e.steps());
	}

	@Test
	void prkWarmUpIsRefusedNamingTheFile() throws IOException {
		// PNDMScheduler's own default is skip_prk_steps = false (PRK warm-up), which this port does not implement
		SchedulerConfig c = SchedulerConfig.parse(com.google.gson.JsonParser.parseString("{}").getAsJsonObject(),
			java.nio.file.Path.of("some/model/scheduler_config.json"));
		var ex = assertThrows(IllegalArgumentException.class, () -> new PNDMScheduler(c));
		assertTrue(ex.getMessage().contains("some/model/scheduler_config.json"), ex.getMessage());
		assertTrue(ex.getMessage().contains("skip_prk_steps"), ex.getMessage());
	}
}
