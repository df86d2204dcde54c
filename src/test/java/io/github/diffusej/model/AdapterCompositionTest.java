package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The composition rule of several named adapters on one layer ({@link AdaptableLayer}): additive terms, then a
 * DoRA on the effective weight so far, then more terms, each with its multiplier; cached frozen prefix and
 * on-the-fly trainable terms give the defined function; re-weighting and removing take effect at once; removing
 * all restores the base layer exactly. Checked against {@link AdapterReference} in double precision, for a
 * linear layer and a 3x3 conv.
 */
class AdapterCompositionTest {

	/** One adapter for the reference: LoRA (mag == null) or DoRA, with its multiplier. */
	record Spec(String name, double[] down, double[] up, double[] mag, double weight, boolean trainable) {}

	@Test
	void severalNamedAdaptersComposeAsDefined() {
		for (boolean conv : new boolean[] {false, true}) check(conv);
	}

	private void check(boolean conv) {
		Random rnd = new Random(conv ? 5 : 4);
		int out = 5, in = 4, k = conv ? 3 : 1, r = 2, n = 2, h = conv ? 4 : 1, w = conv ? 4 : 1;
		double alpha = 1; // scale 0.5
		AdapterReference ref = new AdapterReference(out, in, k, 1, conv ? 1 : 0);
		double[] wv = DoraAdapterTest.gauss(rnd, out * ref.cols(), 0.5), bv = DoraAdapterTest.gauss(rnd, out, 0.1);
		double[] x = DoraAdapterTest.gauss(rnd, n * in * h * w, 1);
		List<Spec> specs = new ArrayList<>();
		specs.add(lora("file A", rnd, ref, r, 0.7, false));
		specs.add(lora("train", rnd, ref, r, 1.0, true));
		double[] mag = new double[in];
		for (int i = 0; i < in; i++) mag[i] = 0.5 + rnd.nextDouble();
		specs.add(new Spec("file DoRA", DoraAdapterTest.gauss(rnd, r * ref.cols(), 0.3),
			DoraAdapterTest.gauss(rnd, out * r, 0.3), mag, 0.6, false));
		specs.add(lora("file B", rnd, ref, r, 1.3, false));

		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad()) {
			AdaptableLayer layer = conv ? new Conv2d(in, out, k, 1, 1) : new Linear(in, out, true);
			layer.weight().set(m.create(wv, layer.weight().shape()));
			layer.bias().set(m.create(bv, new Shape(out)));
			NDArray xa = m.create(x, conv ? new Shape(n, in, h, w) : new Shape(n, in));
			double[] base = layer.forward(xa).toDoubleArray();
			for (Spec s : specs) layer.addAdapter(s.name, adapter(layer, s, m, r, alpha), s.weight);
			String what = conv ? "conv" : "linear";
			expect(what + ": LoRA, trainable LoRA, DoRA, LoRA", layer, xa, ref, wv, bv, x, n, h, w, specs, r, alpha);

			// Weight 1 after a trainable LoRA: the DoRA runs in factored form, op(x·s, W) + Δ(x·s), on the same function.
			layer.setAdapterWeight("file DoRA", 1);
			specs.set(2, withWeight(specs.get(2), 1));
			expect(what + ": DoRA (weight 1, factored) between LoRAs", layer, xa, ref, wv, bv, x, n, h, w, specs, r, alpha);
			layer.setAdapterWeight("file DoRA", 0.6);
			specs.set(2, withWeight(specs.get(2), 0.6));

			layer.setAdapterWeight("file A", -0.4);
			specs.set(0, withWeight(specs.get(0), -0.4));
			expect(what + ": after re-weighting a cached frozen adapter", layer, xa, ref, wv, bv, x, n, h, w, specs, r, alpha);

			LayerAdapter dora = layer.removeAdapter("file DoRA");
			specs.remove(2);
			expect(what + ": after removing the DoRA", layer, xa, ref, wv, bv, x, n, h, w, specs, r, alpha);

			// Frozen only (all cached), DoRA last and then DoRA first: the order matters and both are right.
			layer.removeAdapter("train");
			specs.remove(1);
			layer.addAdapter("file DoRA", dora, 0.6);
			specs.add(new Spec("file DoRA", null, null, mag, 0.6, false));
			List<Spec> withDora = resolveDora(specs, layer);
			expect(what + ": frozen LoRAs then DoRA", layer, xa, ref, wv, bv, x, n, h, w, withDora, r, alpha);
			double[] doraLast = layer.forward(xa).toDoubleArray();
			layer.clearAdapters();
			List<Spec> doraFirst = new ArrayList<>(List.of(withDora.get(2), withDora.get(0), withDora.get(1)));
			for (Spec s : doraFirst) layer.addAdapter(s.name, adapter(layer, s, m, r, alpha), s.weight);
			expect(what + ": DoRA then frozen LoRAs", layer, xa, ref, wv, bv, x, n, h, w, doraFirst, r, alpha);
			assertTrue(AdapterReference.maxAbsDiff(doraLast, layer.forward(xa).toDoubleArray()) > 1e-3,
				what + ": DoRA position must matter");

			assertThrows(IllegalStateException.class, () -> layer.addAdapter("file A", dora));
			assertThrows(IllegalArgumentException.class, () -> layer.setAdapterWeight("nope", 1));
			assertThrows(IllegalArgumentException.class, () -> layer.setAdapterWeight("file A", Double.NaN));
			assertNull(layer.removeAdapter("nope"));
			assertEquals(3, layer.clearAdapters());
			assertFalse(layer.hasAdapters());
			double[] restored = layer.forward(xa).toDoubleArray();
			for (int i = 0; i < base.length; i++) assertEquals(base[i], restored[i], 0, what + ": restored exactly");
			assertEquals(0, AdapterReference.maxAbsDiff(wv, layer.weight().array().toDoubleArray()), what + ": W untouched");
		}
	}

	private static Spec lora(String name, Random rnd, AdapterReference ref, int r, double weight, boolean trainable) {
		return new Spec(name, DoraAdapterTest.gauss(rnd, r * ref.cols(), 0.3), DoraAdapterTest.gauss(rnd, ref.out * r, 0.3),
			null, weight, trainable);
	}

	private static Spec withWeight(Spec s, double w) {
		return new Spec(s.name, s.down, s.up, s.mag, w, s.trainable);
	}

	/** Fills in a DoRA spec's down/up from the adapter attached to the layer (it was removed and re-added). */
	private static List<Spec> resolveDora(List<Spec> specs, AdaptableLayer layer) {
		List<Spec> out = new ArrayList<>();
		for (Spec s : specs) {
			if (s.down != null) {
				out.add(s);
				continue;
			}
			DoraAdapter d = (DoraAdapter) layer.adapter(s.name);
			out.add(new Spec(s.name, d.down().toDoubleArray(), d.up().toDoubleArray(), s.mag, s.weight, s.trainable));
		}
		return out;
	}

	private static LayerAdapter adapter(AdaptableLayer layer, Spec s, NDManager m, int r, double alpha) {
		boolean conv = layer instanceof Conv2d;
		long out = layer.outFeatures(), in = layer.inFeatures();
		long k = conv ? layer.weight().shape().get(2) : 1;
		NDArray down = m.create(s.down, conv ? new Shape(r, in, k, k) : new Shape(r, in));
		NDArray up = m.create(s.up, conv ? new Shape(out, r, 1, 1) : new Shape(out, r));
		if (s.mag == null) return LoraAdapter.of(layer, down, up, alpha, s.trainable);
		return DoraAdapter.of(layer, down, up, m.create(s.mag, DoraAdapter.magnitudeShape(layer.weight().shape(),
			DoraAdapter.Axis.INPUT)), alpha, s.trainable, true);
	}

	/** The reference: W_i step by step, then y = op(x, W_n) + b. */
	private static void expect(String what, AdaptableLayer layer, NDArray xa, AdapterReference ref, double[] wv,
		double[] bv, double[] x, int n, int h, int w, List<Spec> specs, int r, double alpha)
	{
		double[][] wm = AdapterReference.reshape(wv, ref.out, ref.cols());
		for (Spec s : specs) {
			double[][] delta = ref.delta(s.down, s.up, r, alpha / r);
			wm = s.mag == null ? AdapterReference.add(wm, delta, s.weight)
				: AdapterReference.blend(wm, ref.dora(wm, delta, s.mag, true), s.weight);
		}
		double[] want = ref.forward(x, n, h, w, wm, bv);
		double[] got = layer.forward(xa).toDoubleArray();
		double e = AdapterReference.maxAbsDiff(got, want) / AdapterReference.maxAbs(want);
		assertTrue(e < 1e-12, what + ": relative error " + e);
		double[] merged = layer.effectiveWeight(xa.getManager()).toDoubleArray();
		assertTrue(AdapterReference.maxAbsDiff(merged, AdapterReference.flat(wm)) < 1e-12, what + ": effective weight");
	}
}
