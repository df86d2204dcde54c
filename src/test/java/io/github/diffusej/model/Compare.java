package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Tensor comparison with numpy's allclose rule ({@code |a - e| <= atol + rtol·|e|}, NaN on either side failing),
 * reporting the max abs error. The tolerances of the parity tests sit about ten times above the errors measured
 * against diffusers (README), so that a hundredfold regression fails.
 */
final class Compare {

	/**
	 * Tolerances of the fp32 forward parity tests: the errors measured against diffusers are 1e-6 to 5e-6 (README
	 * table), so these sit about tenfold above them (also above the 6e-6 that one vs two threads differ by in the
	 * reference itself) and a hundredfold regression fails.
	 */
	static final double PARITY_ATOL = 3e-5, PARITY_RTOL = 1e-5;

	private Compare() {}

	/** Asserts |a - e| <= atol + rtol·|e| elementwise; returns the max abs error. */
	static double allClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
		assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
		double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
		double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
		double maxAbs = 0;
		int bad = -1;
		for (int i = 0; i < a.length; i++) {
			// NaN on either side never matches (numpy's allclose without equal_nan); infinities only themselves
			boolean same = a[i] == e[i];
			double d = same ? 0 : Math.abs(a[i] - e[i]);
			if (Double.isNaN(d) || Double.isNaN(a[i]) || Double.isNaN(e[i])) d = Double.POSITIVE_INFINITY;
			maxAbs = Math.max(maxAbs, d);
			boolean ok = same || Double.isFinite(d) && d <= atol + rtol * Math.abs(e[i]);
			if (!ok && bad < 0) bad = i;
		}
		System.out.printf("PARITY %s: max abs error %.3g (atol %.3g, rtol %.3g)%n", what, maxAbs, atol, rtol);
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
