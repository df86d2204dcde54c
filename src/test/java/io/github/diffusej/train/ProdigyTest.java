package io.github.diffusej.train;

import static io.github.diffusej.train.OptimizerTesting.assertClose;
import static io.github.diffusej.train.OptimizerTesting.doubles;
import static io.github.diffusej.train.OptimizerTesting.roundToFloat;
import static io.github.diffusej.train.OptimizerTesting.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.train.optim.Optimizer;
import io.github.diffusej.train.optim.Prodigy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Prodigy} against a double-precision transcription of {@code prodigyopt.Prodigy.step} (konstmish/prodigy,
 * {@code prodigyopt/prodigy.py}, version 1.1.2: beta3 = sqrt(beta2), d0 = 1e-6, d_coef = 1, slice_p = 1, no
 * FSDP), on the quadratic {@code f(x) = 1/2 sum h_i (x_i - c_i)^2} over two tensors, for 30 updates, so that the
 * estimate d grows by orders of magnitude. Both sides get the same float32 gradients, computed from the
 * reference's iterate. The iterates start at (or very near) 0, where float32 represents the first steps of size
 * d0 x lr exactly enough for the estimate's {@code <g, x0 - x>} to be compared at 1e-4.
 */
class ProdigyTest {

	/** Settings of one run, as prodigyopt's constructor arguments. */
	record Settings(double beta1, double beta2, double eps, double weightDecay, boolean decouple,
		boolean biasCorrection, boolean safeguardWarmup, double d0, double dCoef, double growthRate) {

		Prodigy create(NDManager m) {
			return new Prodigy(m, beta1, beta2, eps, weightDecay, decouple, biasCorrection, safeguardWarmup, d0, dCoef,
				Double.isInfinite(growthRate) ? 0 : growthRate);
		}
	}

	static final Settings DEFAULTS = new Settings(0.9, 0.999, 1e-8, 0, true, false, false, 1e-6, 1.0,
		Double.POSITIVE_INFINITY);

	/** prodigyopt's state: the group scalars (one group per tensor here) and the per-tensor state. */
	static final class Ref {
		final Settings o;
		double d, dMax, dNumerator;
		int k;
		final Map<String, double[]> p = new LinkedHashMap<>(), m = new LinkedHashMap<>(), v = new LinkedHashMap<>(),
			s = new LinkedHashMap<>(), p0 = new LinkedHashMap<>();

		Ref(Settings o) {
			this.o = o;
			d = o.d0;
			dMax = o.d0;
		}

		/** One {@code step()}: {@code lrs} are the groups' current rates (the schedule's value x 0 or 1). */
		void step(Map<String, double[]> grads, Map<String, Double> lrs) {
			double beta3 = Math.sqrt(o.beta2);
			double lr = lrs.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
			double bc = o.biasCorrection ? Math.pow(1 - Math.pow(o.beta2, k + 1), 0.5) / (1 - Math.pow(o.beta1, k + 1)) : 1;
			double dlr = d * lr * bc;
			double numerator = dNumerator * beta3;
			double delta = 0, denom = 0;
			for (String n : grads.keySet()) {
				double groupLr = lrs.get(n);
				if (groupLr != lr && groupLr != 0) throw new IllegalStateException("prodigyopt raises here");
				double[] g = grads.get(n).clone(), x = p.get(n);
				if (o.weightDecay != 0 && !o.decouple) for (int i = 0; i < g.length; i++) g[i] += o.weightDecay * x[i];
				grads.put(n, g);
				if (!s.containsKey(n)) {
					s.put(n, new double[x.length]);
					p0.put(n, x.clone());
					m.put(n, new double[x.length]);
					v.put(n, new double[x.length]);
				}
				if (groupLr > 0) {
					double dot = 0;
					for (int i = 0; i < x.length; i++) dot += g[i] * (p0.get(n)[i] - x[i]);
					delta += (d / o.d0) * dlr * dot;
					double[] mm = m.get(n), vv = v.get(n), ss = s.get(n);
					double sAlpha = o.safeguardWarmup ? (d / o.d0) * d : (d / o.d0) * dlr;
					for (int i = 0; i < x.length; i++) {
						mm[i] = mm[i] * o.beta1 + d * (1 - o.beta1) * g[i];
						vv[i] = vv[i] * o.beta2 + d * d * (1 - o.beta2) * g[i] * g[i];
						ss[i] = ss[i] * beta3 + sAlpha * g[i];
						denom += Math.abs(ss[i]);
					}
				}
			}
			if (denom == 0) return;
			if (lr > 0) {
				double global = numerator + delta;
				double dHat = o.dCoef * global / denom;
				if (d == o.d0) d = Math.max(d, dHat);
				dMax = Math.max(dMax, dHat);
				d = Math.min(dMax, d * o.growthRate);
				dNumerator = global;
			}
			for (String n : grads.keySet()) {
				double[] x = p.get(n), mm = m.get(n), vv = v.get(n);
				// prodigyopt would also decay a group whose rate is 0 here; DiffuseJ's Prodigy freezes such a group
				// entirely (documented), and the runs below that freeze a group use no weight decay
				for (int i = 0; i < x.length; i++) {
					double den = Math.sqrt(vv[i]) + d * o.eps;
					if (o.weightDecay != 0 && o.decouple) x[i] += x[i] * (-o.weightDecay * dlr);
					x[i] -= dlr * mm[i] / den;
				}
			}
			k++;
		}
	}

	static final double[] H = {1, 2, 0.5, 4, 1, 3, 0.25, 1};
	static final double[] C = {1, -2, 3, 0.5, -1, 2, 1, -0.5};

	/** The quadratic's gradient at the reference's iterate, as float32 values. */
	static Map<String, double[]> gradients(Ref r) {
		Map<String, double[]> g = new LinkedHashMap<>();
		int off = 0;
		for (Map.Entry<String, double[]> e : r.p.entrySet()) {
			double[] x = e.getValue(), gi = new double[x.length];
			for (int i = 0; i < x.length; i++) gi[i] = H[off + i] * (x[i] - C[off + i]);
			off += x.length;
			g.put(e.getKey(), roundToFloat(gi));
		}
		return g;
	}

	/** Runs both sides over {@code lrs}; {@code scales} are the tensors' lrScale (0 or 1). Returns the d values. */
	static double[] run(Settings o, double[] lrs, Map<String, Double> scales, boolean print) {
		try (NDManager man = NDManager.newBaseManager()) {
			Ref ref = new Ref(o);
			// float32 iterates: x0 - x is exact for x0 = 0, and nearly so for x0 tiny; near x0 = 0.1 the first steps
			// (d0 lr = 1e-6) would be a few hundred float32 ulps, and the estimate would depend on their rounding
			ref.p.put("w", new double[5]);
			ref.p.put("u", new double[] {Math.scalb(1.0, -12), -Math.scalb(1.0, -13), 0});
			Map<String, NDArray> x = new LinkedHashMap<>();
			ref.p.forEach((n, v) -> x.put(n, tensor(man, v)));
			Prodigy prodigy = o.create(man);
			double[] ds = new double[lrs.length];
			for (int s = 0; s < lrs.length; s++) {
				Map<String, double[]> g = gradients(ref);
				try (NDManager scratch = man.newSubManager()) {
					List<Optimizer.Param> params = new ArrayList<>();
					g.forEach((n, gi) -> params.add(new Optimizer.Param(n, x.get(n), tensor(scratch, gi), scales.get(n))));
					prodigy.step(params, lrs[s]);
				}
				Map<String, Double> groupLrs = new LinkedHashMap<>();
				final double lr = lrs[s];
				scales.forEach((n, sc) -> groupLrs.put(n, lr * sc));
				ref.step(g, groupLrs);
				ds[s] = prodigy.d();
				assertEquals(ref.d, prodigy.d(), 1e-4 * ref.d, "d after update " + s);
				for (String n : x.keySet())
					assertClose(n + " after update " + s, ref.p.get(n), doubles(x.get(n)), 1e-6, 1e-4);
			}
			if (print) System.out.printf("Prodigy: d from %.3g to %.4g in %d updates%n", o.d0, prodigy.d(), lrs.length);
			prodigy.close();
			return ds;
		}
	}

	static double[] constant(int n, double lr) {
		double[] a = new double[n];
		java.util.Arrays.fill(a, lr);
		return a;
	}

	@Test
	void defaultsMatchProdigyoptAndDGrows() {
		double[] d = run(DEFAULTS, constant(30, 1.0), Map.of("w", 1.0, "u", 1.0), true);
		assertEquals(1e-6, d[0], 0.0, "the first update has no distance to estimate from");
		assertTrue(d[29] > 1e3 * 1e-6, "d did not grow: " + d[29]);
		for (int i = 1; i < d.length; i++) assertTrue(d[i] >= d[i - 1], "d decreased at update " + i);
	}

	/**
	 * A warm-up from rate 0 (the Trainer's first update with {@code schedule.warmup_steps}): prodigyopt skips an
	 * update at rate 0 entirely (no moments, no step count), then bias correction, safeguard warm-up, growth rate,
	 * d_coef and decoupled weight decay.
	 */
	@Test
	void warmupBiasCorrectionSafeguardGrowthAndDecoupledDecay() {
		Settings o = new Settings(0.9, 0.99, 1e-8, 0.01, true, true, true, 1e-6, 2.0, 1.5);
		double[] lrs = new double[30];
		for (int i = 0; i < lrs.length; i++) lrs[i] = Math.min(1.0, i / 5.0);
		double[] d = run(o, lrs, Map.of("w", 1.0, "u", 1.0), false);
		for (int i = 2; i < d.length; i++) assertTrue(d[i] <= d[i - 1] * 1.5 * (1 + 1e-12), "growth bounded at " + i);
		assertTrue(d[29] > 100 * 1e-6, "d did not grow: " + d[29]);
	}

	@Test
	void coupledWeightDecay() {
		run(new Settings(0.9, 0.999, 1e-8, 0.1, false, false, false, 1e-6, 1.0, Double.POSITIVE_INFINITY),
			constant(25, 1.0), Map.of("w", 1.0, "u", 1.0), false);
	}

	/** A group at rate 0 is frozen and takes no part in the estimate, as in prodigyopt (without weight decay). */
	@Test
	void aGroupAtRateZeroIsFrozen() {
		try (NDManager m = NDManager.newBaseManager()) {
			run(DEFAULTS, constant(20, 1.0), Map.of("w", 1.0, "u", 0.0), false);
			// and with weight decay it stays exactly where it was (prodigyopt would decay it)
			NDArray u = tensor(m, new double[] {0.5, -0.5});
			double[] before = doubles(u);
			Prodigy p = new Settings(0.9, 0.999, 1e-8, 0.1, true, false, false, 1e-6, 1, 0).create(m);
			NDArray w = tensor(m, new double[] {1, 2});
			for (int s = 0; s < 5; s++) {
				try (NDManager scratch = m.newSubManager()) {
					p.step(List.of(new Optimizer.Param("w", w, tensor(scratch, new double[] {0.3, -0.2}), 1),
						new Optimizer.Param("u", u, tensor(scratch, new double[] {1, 1}), 0)), 1.0);
				}
			}
			assertArrayEquals(before, doubles(u), 0.0);
			assertTrue(p.stateTensors().keySet().stream().noneMatch(k -> k.endsWith("/u")), "state kept for a frozen tensor");
			p.close();
		}
	}

	@Test
	void perGroupRatesOtherThanZeroOrOneAreRefused() {
		try (NDManager m = NDManager.newBaseManager()) {
			Prodigy p = DEFAULTS.create(m);
			NDArray w = tensor(m, new double[] {1, 2}), u = tensor(m, new double[] {3});
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
				() -> p.step(List.of(new Optimizer.Param("w", w, tensor(m, new double[] {1, 1}), 1),
					new Optimizer.Param("text", u, tensor(m, new double[] {1}), 0.5)), 1.0));
			assertTrue(e.getMessage().contains("'text'") && e.getMessage().contains("0.5"), e.getMessage());
			assertArrayEquals(new double[] {1, 2}, doubles(w), 0.0, "nothing changed by a refused step");
			p.close();
		}
	}

	@Test
	void aRestoredStateContinuesBitForBit() {
		try (NDManager m = NDManager.newBaseManager()) {
			Settings o = new Settings(0.9, 0.999, 1e-8, 0.01, true, true, false, 1e-6, 1.0, 0);
			Prodigy p = o.create(m);
			NDArray w = tensor(m, new double[] {0.1, -0.2, 0.3});
			for (int s = 0; s < 6; s++) step(p, m, w);
			assertTrue(p.d() > 1e-6, "d must have moved for this test to mean anything");
			OptimizerTesting.Saved saved = OptimizerTesting.Saved.of(p);
			NDArray w2 = tensor(m, doubles(w));
			Prodigy resumed = o.create(m);
			saved.restoreInto(resumed, m);
			System.gc();
			assertEquals(p.stateScalars(), resumed.stateScalars());
			for (int s = 0; s < 6; s++) {
				step(p, m, w);
				step(resumed, m, w2);
			}
			assertArrayEquals(w.toFloatArray(), w2.toFloatArray());
			assertEquals(p.d(), resumed.d(), 0.0);
			p.close();
			resumed.close();
		}
	}

	private static void step(Prodigy p, NDManager m, NDArray w) {
		double[] x = doubles(w), g = new double[x.length];
		for (int i = 0; i < x.length; i++) g[i] = H[i] * (x[i] - C[i]);
		try (NDManager scratch = m.newSubManager()) {
			p.step(List.of(new Optimizer.Param("w", w, tensor(scratch, g), 1)), 1.0);
		}
	}
}
