package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.train.optim.Optimizer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers of the optimizer tests: float32 tensors from doubles, and a state saved as a checkpoint saves it. */
final class OptimizerTesting {

	private OptimizerTesting() {}

	static NDArray tensor(NDManager m, double[] v) {
		float[] f = new float[v.length];
		for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
		// a copy in PyTorch memory: an optimizer updates it in place
		try (NDManager s = m.newSubManager()) {
			NDArray javaBacked = s.create(f, new Shape(v.length));
			NDArray owned = javaBacked.duplicate();
			owned.attach(m);
			return owned;
		}
	}

	static double[] doubles(NDArray a) {
		float[] f = a.toFloatArray();
		double[] d = new double[f.length];
		for (int i = 0; i < f.length; i++) d[i] = f[i];
		return d;
	}

	/** The values of float32 numbers: what the optimizer is given, so the reference sees the same gradients. */
	static double[] roundToFloat(double[] v) {
		double[] o = new double[v.length];
		for (int i = 0; i < v.length; i++) o[i] = (float) v[i];
		return o;
	}

	static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol) {
		assertEquals(expected.length, actual.length, what + ": length");
		for (int i = 0; i < expected.length; i++) {
			double d = Math.abs(actual[i] - expected[i]);
			if (!(d <= atol + rtol * Math.abs(expected[i]))) throw new AssertionError(what + ": element " + i + " is "
				+ actual[i] + ", expected " + expected[i] + " (difference " + d + ")");
		}
	}

	/** A saved optimizer state as a checkpoint holds it: float arrays with shapes, and the scalars' JSON text. */
	record Saved(Map<String, float[]> values, Map<String, long[]> shapes, String scalars) {

		static Saved of(Optimizer o) {
			Map<String, float[]> v = new LinkedHashMap<>();
			Map<String, long[]> s = new LinkedHashMap<>();
			o.stateTensors().forEach((k, a) -> {
				v.put(k, a.toFloatArray());
				s.put(k, a.getShape().getShape());
			});
			return new Saved(v, s, o.stateScalars().toString());
		}

		/**
		 * Restores into {@code o} from arrays made from Java data in a scratch manager that is closed right after, as
		 * the Trainer's resume does: the optimizer must have copied them.
		 */
		void restoreInto(Optimizer o, NDManager m) {
			try (NDManager scratch = m.newSubManager()) {
				Map<String, NDArray> t = new LinkedHashMap<>();
				values.forEach((k, a) -> t.put(k, scratch.create(a, new Shape(shapes.get(k)))));
				JsonObject json = JsonParser.parseString(scalars).getAsJsonObject();
				o.restore(t, json);
			}
		}
	}
}
