package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Gradient checkpointing of the UNet blocks gives the gradients of plain backward, for LoRA tensors all over the
 * UNet and for a trainable token row upstream of the context (tiny-sd1, {@code train_textual_inversion}
 * inputs); and block scoping under autograd gives exactly the gradients of an unscoped forward.
 */
class GradientCheckpointingTest {

	@Test
	void checkpointedGradientsEqualPlainBackward() throws IOException {
		try (GradientHarness h = new GradientHarness()) {
			GradientHarness.Result plain = h.step(GradientHarness.Mode.PLAIN, 1);
			GradientHarness.Result ckpt = h.step(GradientHarness.Mode.CHECKPOINTED, 1);
			// the blocks run without a graph there, where PyTorch may pick other kernels: equal up to rounding
			assertClose("output", plain.output(), ckpt.output(), 1e-5);
			assertEquals(plain.loss(), ckpt.loss(), 1e-6 * plain.loss());
			assertEquals(2 * GradientHarness.LAYERS.size() + 1, plain.grads().size());
			for (Map.Entry<String, float[]> e : plain.grads().entrySet()) {
				assertClose(e.getKey(), e.getValue(), ckpt.grads().get(e.getKey()), 1e-5);
			}
			// a seeded backward (loss scale, micro-batch weight) scales every gradient
			GradientHarness.Result scaled = h.step(GradientHarness.Mode.CHECKPOINTED, 3);
			for (Map.Entry<String, float[]> e : plain.grads().entrySet()) {
				float[] three = e.getValue().clone();
				for (int i = 0; i < three.length; i++) three[i] *= 3;
				assertClose(e.getKey() + " x3", three, scaled.grads().get(e.getKey()), 1e-5);
			}
		}
	}

	@Test
	void blockScopingKeepsGradientsExact() throws IOException {
		try (GradientHarness h = new GradientHarness()) {
			GradientHarness.Result scoped = h.step(GradientHarness.Mode.PLAIN, 1);
			GradientHarness.Result unscoped = h.step(GradientHarness.Mode.UNSCOPED, 1);
			assertArrayEquals(unscoped.output(), scoped.output(), 0f);
			for (Map.Entry<String, float[]> e : unscoped.grads().entrySet()) {
				assertArrayEquals(e.getValue(), scoped.grads().get(e.getKey()), 0f, e.getKey());
			}
		}
	}

	/** |a - e| <= rtol·|e| + rtol·max|e| element-wise, and the gradient is not zero (the test could fail). */
	static void assertClose(String what, float[] expected, float[] actual, double rtol) {
		assertEquals(expected.length, actual.length, what);
		double max = 0;
		for (float v : expected) max = Math.max(max, Math.abs(v));
		assertTrue(max > 0, what + ": zero gradient");
		double worst = 0;
		for (int i = 0; i < expected.length; i++) {
			double d = Math.abs(actual[i] - expected[i]);
			worst = Math.max(worst, d / (Math.abs(expected[i]) + max));
			assertTrue(d <= rtol * (Math.abs(expected[i]) + max), what + "[" + i + "]: " + actual[i] + " vs " + expected[i]);
		}
		System.out.printf("%s: worst relative difference %.2g%n", what, worst);
	}
}
