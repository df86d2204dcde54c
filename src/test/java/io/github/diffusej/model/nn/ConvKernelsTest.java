package io.github.diffusej.model.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** The matrix-product convolution against PyTorch's, in values and gradients, and when it is chosen. */
class ConvKernelsTest {

	@Test
	void matmulConvolutionEqualsPyTorchs() {
		try (NDManager m = NDManager.newBaseManager()) {
			Engine.getInstance().setRandomSeed(5);
			for (int k : new int[] {3, 1}) {
				NDArray x = m.randomNormal(new Shape(2, 24, 5, 7));
				NDArray w = m.randomNormal(new Shape(16, 24, k, k)).mul(0.1);
				NDArray b = m.randomNormal(new Shape(16));
				NDArray[] grads = new NDArray[4];
				NDArray[] outs = new NDArray[2];
				for (int i = 0; i < 2; i++) {
					NDArray xx = x.duplicate();
					NDArray ww = w.duplicate();
					xx.setRequiresGradient(true);
					ww.setRequiresGradient(true);
					try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
						outs[i] = i == 0 ? ai.djl.nn.convolutional.Conv2d.conv2d(xx, ww, b, new Shape(1, 1),
							new Shape(k / 2, k / 2), new Shape(1, 1), 1).singletonOrThrow()
							: ConvKernels.matmulConv(xx, ww, b, k / 2);
						gc.backward(outs[i].mul(outs[i]).sum());
					}
					grads[2 * i] = xx.getGradient();
					grads[2 * i + 1] = ww.getGradient();
				}
				assertClose("output k" + k, outs[0], outs[1]);
				assertClose("input gradient k" + k, grads[0], grads[2]);
				assertClose("weight gradient k" + k, grads[1], grads[3]);
			}
		}
	}

	@Test
	void matmulOnlyForLargeWeightsOnSmallImages() {
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray w = m.zeros(new Shape(8, 1280, 3, 3));
			assertTrue(ConvKernels.useMatmul(m.zeros(new Shape(1, 1280, 8, 8)), w, 1, 1));
			assertFalse(ConvKernels.useMatmul(m.zeros(new Shape(1, 1280, 32, 32)), w, 1, 1), "large image");
			assertFalse(ConvKernels.useMatmul(m.zeros(new Shape(1, 1280, 8, 8)), w, 2, 1), "stride 2");
			assertFalse(ConvKernels.useMatmul(m.zeros(new Shape(1, 1280, 4, 4)), w, 1, 1), "4x4 with 1280 channels");
			NDArray w2560 = m.zeros(new Shape(8, 2560, 3, 3));
			assertTrue(ConvKernels.useMatmul(m.zeros(new Shape(1, 2560, 4, 4)), w2560, 1, 1));
			NDArray small = m.zeros(new Shape(8, 320, 3, 3));
			assertFalse(ConvKernels.useMatmul(m.zeros(new Shape(1, 320, 8, 8)), small, 1, 1), "small weight");
		}
	}

	private static void assertClose(String what, NDArray expected, NDArray actual) {
		float[] e = expected.toFloatArray();
		float[] a = actual.toFloatArray();
		float max = 0;
		for (float v : e) max = Math.max(max, Math.abs(v));
		for (int i = 0; i < e.length; i++) {
			assertTrue(Math.abs(e[i] - a[i]) <= 1e-5 * max + 1e-5 * Math.abs(e[i]), what + "[" + i + "]: " + a[i]
				+ " vs " + e[i]);
		}
	}
}
