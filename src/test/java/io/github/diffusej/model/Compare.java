package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Tensor comparison with numpy's allclose rule, reporting the max abs error. */
final class Compare {

	private Compare() {}

	/** Asserts |a - e| <= atol + rtol·|e| elementwise; returns the max abs error. */
	static double allClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
		assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
		double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
		double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
		double maxAbs = 0;
		int bad = -1;
		for (int i = 0; i < a.length; i++) {
			double d = Math.abs(a[i] - e[i]);
			if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
			maxAbs = Math.max(maxAbs, d);
			if (d > atol + rtol * Math.abs(e[i]) && bad < 0) bad = i;
		}
		System.out.printf("%s: max abs error %.3g%n", what, maxAbs);
		int b = bad;
		assertTrue(bad < 0, () -> what + ": element " + b + " is " + a[b] + ", expected " + e[b] + " (max abs error "
			+ String.format("%.3g", 0.0 + maxAbsOf(a, e)) + ")");
		return maxAbs;
	}

	private static double maxAbsOf(double[] a, double[] e) {
		double m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - e[i]));
		return m;
	}
}
