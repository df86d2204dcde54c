package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.diffusej.model.nn.Ops;
import io.github.diffusej.model.nn.Param;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Scalars in the graph survive until backward. DJL's {@code mul(Number)} (also inside {@code Activation.swish})
 * makes its scalar from a Java buffer and closes it at once; after a garbage collection between forward and
 * backward the gradient read that freed memory (observed: 1.7e-313 instead of 1.5). {@link Param#times} and
 * {@link Ops#silu} must not.
 */
class ParamScalarTest {

	@Test
	void scalarsInTheGraphOutliveAGarbageCollection() {
		try (NDManager m = NDManager.newBaseManager()) {
			double[] xs = {-2, -0.5, 0.25, 3};
			NDArray x = m.create(xs);
			x.setRequiresGradient(true);
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray loss = Param.times(x, 1.5).sum().add(Ops.silu(x).sum()).add(Ops.quickGelu(x).sum());
				for (int i = 0; i < 10; i++) {
					System.gc();
					for (int j = 0; j < 2000; j++) ByteBuffer.allocateDirect(16).putDouble(0, 123456.0);
				}
				gc.backward(loss);
			}
			double[] g = x.getGradient().toType(DataType.FLOAT64, true).toDoubleArray();
			for (int i = 0; i < xs.length; i++) {
				double s = 1 / (1 + Math.exp(-xs[i])), q = 1 / (1 + Math.exp(-1.702 * xs[i]));
				double want = 1.5 + s * (1 + xs[i] * (1 - s)) + q * (1 + 1.702 * xs[i] * (1 - q));
				assertEquals(want, g[i], 1e-12, "gradient at x = " + xs[i]);
			}
		}
	}
}
