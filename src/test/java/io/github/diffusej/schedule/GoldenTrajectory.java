package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Replays the recipe of golden README §5.4 with a sampler and compares every model input, model output and
 * trajectory entry with the stored tensors:
 * {@code x = x_init·init_noise_sigma; inp = scale(x, i); out = 0.1·inp + 0.05·t/1000; x = step(out, i, x)}.
 */
final class GoldenTrajectory {

	/** The tolerances of the task: rtol 1e-5, plus a small atol for entries that cross zero. */
	static final double RTOL = 1e-5;
	static final double ATOL = 1e-6;

	/** Largest errors seen, for the report. */
	record Errors(double maxAbs, double maxRel, int steps) {}

	private GoldenTrajectory() {}

	static Path file(String name) {
		return Golden.vectors(name);
	}

	static SchedulerConfig sd1Config() throws IOException {
		return SchedulerConfig.read(Golden.tinySd1Model().resolve("scheduler/scheduler_config.json"));
	}

	static Errors replay(Sampler s, String fileName) throws IOException {
		Path p = file(fileName);
		try (SafetensorsFile f = SafetensorsFile.open(p); NDManager m = NDManager.newBaseManager()) {
			long[] shape = f.info("trajectory").shape();
			int steps = (int) shape[0] - 1;
			int per = (int) (f.info("x_init").numel());
			float[] traj = f.floats("trajectory");
			float[] ins = f.floats("model_inputs");
			float[] outs = f.floats("model_outputs");
			assertEquals(steps, s.numSteps(), p + ": number of steps");
			double[] ts = s.timesteps();
			Tracker tr = new Tracker(p);
			NDArray x = f.load("x_init", m).mul(s.initNoiseSigma());
			tr.check("trajectory[0]", x.toFloatArray(), traj, 0, per);
			for (int i = 0; i < steps; i++) {
				try (NDManager step = m.newSubManager()) {
					x.attach(step);
					NDArray in = s.scaleModelInput(x, i);
					tr.check("model_inputs[" + i + "]", in.toFloatArray(), ins, i * per, per);
					NDArray out = in.mul(0.1f).add((float) (0.05 * ts[i] / 1000.0));
					tr.check("model_outputs[" + i + "]", out.toFloatArray(), outs, i * per, per);
					NDArray next = s.step(out, i, x);
					tr.check("trajectory[" + (i + 1) + "]", next.toFloatArray(), traj, (i + 1) * per, per);
					next.attach(m);
					x = next;
				}
			}
			return new Errors(tr.maxAbs, tr.maxRel, steps);
		}
	}

	/** Elementwise |a − b| ≤ ATOL + RTOL·|b| with the first failure named, and running maxima. */
	static final class Tracker {
		final Path file;
		double maxAbs;
		double maxRel;

		Tracker(Path file) {
			this.file = file;
		}

		void check(String what, float[] actual, float[] expected, int offset, int n) {
			assertEquals(n, actual.length, file + " " + what + ": size");
			if (System.getenv("SCHED_DEBUG") != null) {
				double mx = 0;
				for (int j = 0; j < n; j++) mx = Math.max(mx, Math.abs(actual[j] - expected[offset + j]));
				System.out.println(file.getFileName() + " " + what + " max abs " + mx);
			}
			for (int k = 0; k < n; k++) {
				final int j = k;
				double e = expected[offset + j];
				double a = actual[j];
				double d = Math.abs(a - e);
				maxAbs = Math.max(maxAbs, d);
				if (Math.abs(e) > 1e-3) maxRel = Math.max(maxRel, d / Math.abs(e));
				assertTrue(d <= ATOL + RTOL * Math.abs(e), () -> file + " " + what + " element " + j + ": expected " + e + " got " + a + " (|diff| " + d + ")");
			}
		}
	}
}
