package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The parity comparison itself: NaN on either side fails, as numpy's allclose does without equal_nan. */
class CompareTest {

	@Test
	void nanOnEitherSideFails() {
		try (NDManager m = NDManager.newBaseManager()) {
			float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
			assertThrows(AssertionFailedError.class, () -> Compare.allClose("a", m.create(new float[] {1, nan}),
				m.create(new float[] {1, 2}), 1, 1));
			assertThrows(AssertionFailedError.class, () -> Compare.allClose("e", m.create(new float[] {1, 2}),
				m.create(new float[] {1, nan}), 1, 1));
			assertThrows(AssertionFailedError.class, () -> Compare.allClose("both", m.create(new float[] {nan}),
				m.create(new float[] {nan}), 1, 1));
			assertThrows(AssertionFailedError.class, () -> Compare.allClose("inf", m.create(new float[] {inf}),
				m.create(new float[] {1}), 1, 1));
			assertEquals(0.0, Compare.allClose("same inf", m.create(new float[] {inf, 1}), m.create(new float[] {inf, 1}),
				0, 0));
			assertEquals(0.5, Compare.allClose("close", m.create(new float[] {1.5f}), m.create(new float[] {1}), 0.5, 0));
		}
	}
}
