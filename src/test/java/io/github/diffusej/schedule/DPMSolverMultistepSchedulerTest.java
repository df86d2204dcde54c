package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Golden: {@code sched_dpmpp2m.safetensors} and {@code sched_dpmpp2m_karras.safetensors}
 * (DPMSolverMultistepScheduler.from_config(tiny-sd1) with defaults, and with use_karras_sigmas = true; 20 steps).
 */
class DPMSolverMultistepSchedulerTest {

	static final String FILE = "sched_dpmpp2m.safetensors";
	static final String FILE_KARRAS = "sched_dpmpp2m_karras.safetensors";

	@Test
	void timestepsAndSigmasAreBitIdentical() throws IOException {
		for (boolean karras : new boolean[] {false, true}) {
			String name = karras ? FILE_KARRAS : FILE;
			Sampler s = (karras ? SamplerKind.DPMPP_2M_KARRAS : SamplerKind.DPMPP_2M).create(GoldenTrajectory.sd1Config());
			s.setTimesteps(20);
			try (SafetensorsFile f = SafetensorsFile.open(GoldenTrajectory.file(name))) {
				assertArrayEquals(f.longs("timesteps"), ((DPMSolverMultistepScheduler) s).timestepsLong(), name);
				assertArrayEquals(f.floats("sigmas"), s.sigmas(), 0f, name + " sigmas (float32, exact)");
			}
			float[] sg = s.sigmas();
			assertEquals(0.029167532920837402f, sg[20], 0f, name + ": 0.25.1 never steps to sigma 0");
			if (karras) assertEquals(sg[19], sg[20], 0f, "Karras repeats the last sigma");
		}
	}

	@Test
	void trajectoryMatchesDiffusers() throws IOException {
		Sampler s = SamplerKind.DPMPP_2M.create(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		var e = GoldenTrajectory.replay(s, FILE);
		System.out.printf("%s: max abs err %.3g, max rel err %.3g over %d steps%n", FILE, e.maxAbs(), e.maxRel(),
			e.steps());
	}

	@Test
	void karrasTrajectoryMatchesDiffusers() throws IOException {
		Sampler s = SamplerKind.DPMPP_2M_KARRAS.create(GoldenTrajectory.sd1Config());
		s.setTimesteps(20);
		var e = GoldenTrajectory.replay(s, FILE_KARRAS);
		System.out.printf("%s: max abs err %.3g, max rel err %.3g over %d steps%n", FILE_KARRAS, e.maxAbs(),
			e.maxRel(), e.steps());
	}

	@Test
	void aSecondImageAfterResetRepeatsTheFirstAndStepsMustBeInOrder() throws IOException {
		Sampler s = SamplerKind.DPMPP_2M.create(GoldenTrajectory.sd1Config());
		s.setTimesteps(5);
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray x0 = m.randomNormal(new Shape(1, 4, 4, 4));
			float[] first = run(s, x0);
			float[] second = run(s, x0); // the last step frees the history by itself
			assertArrayEquals(first, second, 0f);
			s.step(x0, 0, x0);
			assertThrows(IllegalStateException.class, () -> s.step(x0, 2, x0));
			s.reset();
			s.step(x0, 0, x0);
		}
	}

	private static float[] run(Sampler s, NDArray x0) {
		NDArray x = x0;
		double[] ts = s.timesteps();
		for (int i = 0; i < ts.length; i++) x = s.step(s.scaleModelInput(x, i).mul(0.1f).add((float) (ts[i] / 2e4)), i, x);
		return x.toFloatArray();
	}
}
