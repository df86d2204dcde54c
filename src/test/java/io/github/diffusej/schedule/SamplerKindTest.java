package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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

	@Test
	void plmsEntryWorksForConfigsWithoutSkipPrkSteps() {
		Sampler s = SamplerKind.PNDM.create(SchedulerConfig.empty());
		s.setTimesteps(10);
		assertEquals(11, s.numSteps());
	}

	/** Samplers work in the sample's dtype: float64 runs agree with float32 runs, float16 comes back as float16. */
	@Test
	void everySamplerKeepsTheDtype() throws IOException {
		SchedulerConfig c = GoldenTrajectory.sd1Config();
		for (SamplerKind kind : SamplerKind.values()) {
			float[][] results = new float[2][];
			DataType[] types = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16};
			for (int k = 0; k < types.length; k++) {
				Sampler s = kind.create(c, (m, shape, dtype) -> m.ones(shape, dtype));
				s.setTimesteps(8);
				try (NDManager m = NDManager.newBaseManager()) {
					NDArray x = m.arange(0f, 64f).reshape(1, 4, 4, 4).div(32f).sub(1f).toType(types[k], false)
						.mul(s.initNoiseSigma());
					double[] ts = s.timesteps();
					for (int i = 0; i < ts.length; i++) {
						NDArray in = s.scaleModelInput(x, i);
						assertEquals(types[k], in.getDataType(), kind.label());
						x = s.step(in.mul(0.1f).add((float) (ts[i] / 2e4)), i, x);
						assertEquals(types[k], x.getDataType(), kind.label() + " step " + i);
					}
					if (k < 2) results[k] = x.toType(DataType.FLOAT32, false).toFloatArray();
				}
			}
			assertArrayEquals(results[0], results[1], 2e-4f, kind.label() + ": float32 vs float64");
		}
	}
}
