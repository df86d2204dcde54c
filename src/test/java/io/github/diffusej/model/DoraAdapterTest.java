package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.Rng;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.Linear;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link DoraAdapter} against {@link AdapterReference} (double precision, loops written from the definition):
 * forward and the gradients of down, up, magnitude and input, for a linear layer and 3x3 convolutions (stride 1
 * and 2), both norm axes, detached and full norm, multiplier 1 and 0.6. And a fresh DoRA is the base layer bit
 * for bit.
 */
class DoraAdapterTest {

	record Case(String name, int out, int in, int k, int stride, int pad) {}

	static final Case[] CASES = {new Case("linear", 5, 6, 1, 1, 0), new Case("conv 3x3", 4, 3, 3, 1, 1),
		new Case("conv 3x3 stride 2", 4, 3, 3, 2, 1)};

	static AdaptableLayer layer(Case c) {
		return c.k == 1 ? new Linear(c.in, c.out, true) : new Conv2d(c.in, c.out, c.k, c.stride, c.pad);
	}

	static double[] gauss(Random r, int n, double s) {
		double[] d = new double[n];
		for (int i = 0; i < n; i++) d[i] = s * r.nextGaussian();
		return d;
	}

	@Test
	void forwardAndGradientsMatchTheDoubleReference() {
		Random rnd = new Random(11);
		int rank = 2;
		double alpha = 3; // scale 1.5
		double worst = 0;
		for (Case c : CASES) {
			for (DoraAdapter.Axis axis : DoraAdapter.Axis.values()) {
				for (boolean detach : new boolean[] {true, false}) {
					for (double wt : new double[] {1.0, 0.6}) {
						String what = c.name + ", " + axis + (detach ? ", detached norm" : ", full norm") + ", weight " + wt;
						worst = Math.max(worst, check(c, axis, detach, wt, rank, alpha, rnd, what));
					}
				}
			}
		}
		System.out.println("DoRA vs double reference: worst relative error " + worst);
	}

	private static double check(Case c, DoraAdapter.Axis axis, boolean detach, double wt, int rank, double alpha,
		Random rnd, String what)
	{
		AdapterReference ref = new AdapterReference(c.out, c.in, c.k, c.stride, c.pad);
		boolean conv = c.k > 1;
		int n = conv ? 2 : 3, h = conv ? 5 : 1, w = conv ? 5 : 1;
		double[] wv = gauss(rnd, c.out * ref.cols(), 0.5), bv = gauss(rnd, c.out, 0.1);
		double[] down = gauss(rnd, rank * ref.cols(), 0.4), up = gauss(rnd, c.out * rank, 0.4);
		double[] x = gauss(rnd, n * c.in * h * w, 1);
		boolean inputAxis = axis == DoraAdapter.Axis.INPUT;
		double[][] wm = AdapterReference.reshape(wv, c.out, ref.cols());
		double[] norms = ref.norms(AdapterReference.add(wm, ref.delta(down, up, rank, alpha / rank), 1), inputAxis);
		double[] mag = new double[norms.length];
		for (int i = 0; i < mag.length; i++) mag[i] = norms[i] * (0.5 + rnd.nextDouble());
		int outH = ref.outSize(h), outW = ref.outSize(w);
		double[] g = gauss(rnd, n * c.out * outH * outW, 1);

		double[][] wPrime = AdapterReference.blend(wm, ref.dora(wm, ref.delta(down, up, rank, alpha / rank), mag,
			inputAxis), wt);
		double[] yRef = ref.forward(x, n, h, w, wPrime, bv);
		double[][] gradWPrime = ref.weightGradient(x, n, h, w, g);
		double[][] grads = ref.doraGradients(wm, down, up, rank, alpha / rank, mag, inputAxis, wt, gradWPrime, detach);
		double[] gxRef = ref.inputGradient(n, h, w, wPrime, g);

		try (NDManager m = NDManager.newBaseManager()) {
			AdaptableLayer layer = layer(c);
			Shape ws = layer.weight().shape();
			layer.weight().set(m.create(wv, ws));
			layer.bias().set(m.create(bv, new Shape(c.out)));
			Shape magShape = inputAxis ? DoraAdapter.magnitudeShape(ws, axis)
				: conv ? DoraAdapter.magnitudeShape(ws, axis) : new Shape(c.out); // PEFT's [out] for the linear case
			NDArray dn = m.create(down, conv ? new Shape(rank, c.in, c.k, c.k) : new Shape(rank, c.in));
			NDArray upA = m.create(up, conv ? new Shape(c.out, rank, 1, 1) : new Shape(c.out, rank));
			NDArray mg = m.create(mag, magShape);
			NDArray xa = m.create(x, conv ? new Shape(n, c.in, h, w) : new Shape(n, c.in));
			for (NDArray a : new NDArray[] {dn, upA, mg, xa}) a.setRequiresGradient(true);
			DoraAdapter dora = DoraAdapter.of(layer, dn, upA, mg, alpha, true, detach);
			assertEquals(axis, dora.axis(), what);
			layer.addAdapter("dora", dora, wt);
			NDArray y;
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				y = layer.forward(xa);
				gc.backward(y.mul(m.create(g, y.getShape())).sum());
			}
			double worst = 0;
			worst = Math.max(worst, rel(what + ": output", y.toDoubleArray(), yRef));
			worst = Math.max(worst, rel(what + ": d/d down", dn.getGradient().toDoubleArray(), grads[0]));
			worst = Math.max(worst, rel(what + ": d/d up", upA.getGradient().toDoubleArray(), grads[1]));
			worst = Math.max(worst, rel(what + ": d/d magnitude", mg.getGradient().toDoubleArray(), grads[2]));
			worst = Math.max(worst, rel(what + ": d/d input", xa.getGradient().toDoubleArray(), gxRef));
			return worst;
		}
	}

	/** Max abs difference relative to the reference's max magnitude; asserts it is below 1e-10. */
	private static double rel(String what, double[] got, double[] want) {
		assertEquals(want.length, got.length, what + ": size");
		double e = AdapterReference.maxAbsDiff(got, want) / Math.max(1e-300, AdapterReference.maxAbs(want));
		assertTrue(e < 1e-10, what + ": relative error " + e);
		assertTrue(AdapterReference.maxAbs(want) > 0, what + ": degenerate reference");
		return e;
	}

	/** DoRA at step 0 (up = 0, m = ||W||) reproduces the layer exactly, for both axes, linear and conv, float32. */
	@Test
	void freshDoraIsTheBaseLayerBitForBit() {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad()) {
			Random rnd = new Random(2);
			for (Case c : new Case[] {new Case("linear", 16, 32, 1, 1, 0), new Case("conv", 8, 6, 3, 1, 1)}) {
				for (DoraAdapter.Axis axis : DoraAdapter.Axis.values()) {
					AdaptableLayer layer = layer(c);
					Shape ws = layer.weight().shape();
					layer.weight().set(m.create(toFloat(gauss(rnd, (int) ws.size(), 0.2)), ws));
					layer.bias().set(m.create(toFloat(gauss(rnd, c.out, 0.1)), new Shape(c.out)));
					NDArray x = m.create(toFloat(gauss(rnd, c.k == 1 ? 3 * c.in : 2 * c.in * 7 * 7, 1)),
						c.k == 1 ? new Shape(3, c.in) : new Shape(2, c.in, 7, 7));
					float[] base = layer.forward(x).toFloatArray();
					layer.addAdapter("dora", DoraAdapter.create(layer, 4, 4, axis, new Rng(3), m, DataType.FLOAT32));
					float[] adapted = layer.forward(x).toFloatArray();
					for (int i = 0; i < base.length; i++)
						assertEquals(Float.floatToIntBits(base[i]), Float.floatToIntBits(adapted[i]),
							c.name + " " + axis + ": element " + i + " differs");
				}
			}
		}
	}

	@Test
	void magnitudeShapesAreReadAsComfyUiReadsThem() {
		Shape lin = new Shape(5, 6), conv = new Shape(4, 3, 3, 3);
		assertEquals(DoraAdapter.Axis.INPUT, DoraAdapter.axisOf(lin, new Shape(1, 6)));
		assertEquals(DoraAdapter.Axis.INPUT, DoraAdapter.axisOf(conv, new Shape(1, 3, 1, 1)));
		assertEquals(DoraAdapter.Axis.INPUT, DoraAdapter.axisOf(conv, new Shape(1, 3)));
		assertEquals(DoraAdapter.Axis.OUTPUT, DoraAdapter.axisOf(lin, new Shape(5)));
		assertEquals(DoraAdapter.Axis.OUTPUT, DoraAdapter.axisOf(lin, new Shape(5, 1)));
		assertEquals(DoraAdapter.Axis.OUTPUT, DoraAdapter.axisOf(conv, new Shape(4, 1, 1, 1)));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> DoraAdapter.axisOf(conv, new Shape(3, 3, 3)));
		assertTrue(e.getMessage().contains("[1, 3(, 1, 1)]"), e.getMessage());
	}

	static float[] toFloat(double[] d) {
		float[] f = new float[d.length];
		for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
		return f;
	}
}
