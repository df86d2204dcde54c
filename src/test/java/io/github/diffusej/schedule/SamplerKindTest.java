package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerKindTest {

	@Test
	void labelsRoundTripAndUnknownNamesListTheChoices() {
		assertEquals(List.of("DDIM", "Euler", "Euler a", "DPM++ 2M", "DPM++ 2M Karras", "PLMS"), SamplerKind.labels());
		for (SamplerKind k : SamplerKind.values()) {
			assertEquals(k, SamplerKind.fromLabel(k.label()));
			assertEquals(k, SamplerKind.fromLabel(k.name().toLowerCase()));
		}
		var ex = assertThrows(IllegalArgumentException.class, () -> SamplerKind.fromLabel("Heun"));
		assertTrue(ex.getMessage().contains("DPM++ 2M Karras"), ex.getMessage());
	}

	@Test
	void factoryBuildsEachClassFromTheModelConfig() throws IOException {
		SchedulerConfig c = GoldenTrajectory.sd1Config();
		assertInstanceOf(DDIMScheduler.class, SamplerKind.DDIM.create(c));
		assertInstanceOf(EulerDiscreteScheduler.class, SamplerKind.EULER.create(c));
		assertInstanceOf(EulerAncestralDiscreteScheduler.class, SamplerKind.EULER_A.create(c));
		assertInstanceOf(PNDMScheduler.class, SamplerKind.PNDM.create(c));
		Sampler k = SamplerKind.DPMPP_2M_KARRAS.create(c);
		assertEquals(true, k.config().useKarrasSigmas());
		assertEquals(false, SamplerKind.DPMPP_2M.create(c.withKarrasSigmas(true)).config().useKarrasSigmas());
		for (SamplerKind kind : SamplerKind.values()) {
			Sampler s = kind.create(c);
			s.setTimesteps(25);
			int expected = kind == SamplerKind.PNDM ? 26 : 25;
			assertEquals(expected, s.numSteps(), kind.label());
			double[] t = s.timesteps();
			for (int i = 1; i < t.length; i++) assertTrue(t[i] <= t[i - 1], kind.label() + " timesteps descend");
			assertEquals(kind.stochastic(), kind == SamplerKind.EULER_A);
		}
	}
}
