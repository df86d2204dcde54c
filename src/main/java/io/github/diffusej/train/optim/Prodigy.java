package io.github.diffusej.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.github.diffusej.model.nn.GradMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prodigy (Mishchenko &amp; Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
 * Algorithm 4 with Adam moments), as the {@code prodigyopt} package implements it: Adam whose step size is
 * {@code d · lr}, where the distance estimate {@code d} grows from {@code d0} as
 * {@code d_hat = d_coef · r / ||s||_1} with {@code r <- beta3 r + (d/d0) d lr <g, x0 - x>} and
 * {@code s <- beta3 s + (d/d0) d lr g} ({@code beta3 = sqrt(beta2)}); d never decreases, and grows at most by
 * {@code growth_rate} per step. Weight decay is decoupled (AdamW style) by default. The learning rate is a
 * multiplier of the estimate (1 is the recommended value) and is the same for every tensor: Prodigy does not
 * support per-group rates (only 0 to freeze a group), so differing {@code lrScale}s are refused.
 */
public final class Prodigy implements Optimizer {

	private final NDManager manager;
	private final double beta1;
	private final double beta2;
	private final double beta3;
	private final double eps;
	private final double weightDecay;
	private final boolean decouple;
	private final boolean biasCorrection;
	private final boolean safeguardWarmup;
	private final double d0;
	private final double dCoef;
	private final double growthRate;
	private double d;
	private double dMax;
	private double dNumerator;
	private int k;
	private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
	private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
	private final Map<String, NDArray> s = new LinkedHashMap<>();
	private final Map<String, NDArray> p0 = new LinkedHashMap<>();

	/** @param growthRate 0 or infinity for unbounded growth */
	public Prodigy(NDManager manager, double beta1, double beta2, double eps, double weightDecay, boolean decouple,
		boolean biasCorrection, boolean safeguardWarmup, double d0, double dCoef, double growthRate)
	{
		this.manager = manager;
		this.beta1 = beta1;
		this.beta2 = beta2;
		this.beta3 = Math.sqrt(beta2);
		this.eps = eps;
		this.weightDecay = weightDecay;
		this.decouple = decouple;
		this.biasCorrection = biasCorrection;
		this.safeguardWarmup = safeguardWarmup;
		this.d0 = d0;
		this.dCoef = dCoef;
		this.growthRate = growthRate <= 0 ? Double.POSITIVE_INFINITY : growthRate;
		this.d = d0;
		this.dMax = d0;
	}

	/** The current distance estimate d (the effective learning rate is d x lr). */
	public double d() {
		return d;
	}

	@Override
	public void step(List<Param> params, double lr) {
		for (Param p : params) {
			if (p.lrScale() != 1 && p.lrScale() != 0) throw new IllegalArgumentException("Prodigy uses one learning "
				+ "rate for every tensor; '" + p.name() + "' asks for " + p.lrScale() + " x the base rate "
				+ "(give the text encoder the same learning rate, or use AdamW)");
		}
		double bc = biasCorrection ? Math.sqrt(1 - Math.pow(beta2, k + 1)) / (1 - Math.pow(beta1, k + 1)) : 1;
		double dlr = d * lr * bc;
		double numerator = dNumerator * beta3;
		try (GradMode ng = GradMode.noGrad(); NDManager scratch = manager.newSubManager()) {
			NDArray numAcc = null;
			NDArray denAcc = null;
			for (Param p : params) {
				// a tensor at rate 0 (a frozen group, or every tensor in the first update of a warm-up) takes no part:
				// prodigyopt updates neither its moments nor the estimate, and an update at rate 0 is no step at all
				if (frozen(p, lr)) continue;
				NDArray g = p.grad();
				if (weightDecay != 0 && !decouple) g = AdamW.scoped(g.add(scoped(p.value().mul(weightDecay), scratch)), scratch);
				String n = p.name();
				NDArray x0 = p0.computeIfAbsent(n, key -> Scopes.keep(p.value().duplicate()));
				NDArray m = expAvg.computeIfAbsent(n, key -> zerosLike(p.value()));
				NDArray v = expAvgSq.computeIfAbsent(n, key -> zerosLike(p.value()));
				NDArray sn = s.computeIfAbsent(n, key -> zerosLike(p.value()));
				// <g, x0 - x>, summed on the device; read once per step below
				NDArray dot = scoped(scoped(x0.sub(p.value()), scratch).mul(g), scratch).sum();
				dot.attach(scratch);
				numAcc = numAcc == null ? dot : scoped(numAcc.add(dot), scratch);
				m.muli(beta1).addi(scoped(g.mul(d * (1 - beta1)), scratch));
				v.muli(beta2).addi(scoped(g.square(), scratch).muli(d * d * (1 - beta2)));
				sn.muli(beta3).addi(scoped(g.mul(safeguardWarmup ? (d / d0) * d : (d / d0) * dlr), scratch));
				NDArray l1 = scoped(sn.abs(), scratch).sum();
				l1.attach(scratch);
				denAcc = denAcc == null ? l1 : scoped(denAcc.add(l1), scratch);
			}
			if (numAcc == null) return;
			numerator += (d / d0) * dlr * numAcc.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
			double denom = denAcc.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
			if (denom == 0) return; // all gradients zero so far: no estimate, no step (as prodigyopt)
			if (lr > 0) {
				double dHat = dCoef * numerator / denom;
				if (d == d0) d = Math.max(d, dHat);
				dMax = Math.max(dMax, dHat);
				d = Math.min(dMax, d * growthRate);
			}
			dNumerator = numerator;
			for (Param p : params) {
				if (frozen(p, lr)) continue;
				NDArray m = expAvg.get(p.name());
				NDArray denomT = scoped(expAvgSq.get(p.name()).sqrt(), scratch).addi(d * eps);
				if (weightDecay != 0 && decouple) p.value().muli(1 - weightDecay * dlr);
				p.value().subi(scoped(m.div(denomT), scratch).muli(dlr));
			}
			k++;
		}
	}

	private static boolean frozen(Param p, double lr) {
		return p.lrScale() == 0 || lr == 0;
	}

	private static NDArray scoped(NDArray a, NDManager scratch) {
		return AdamW.scoped(a, scratch);
	}

	private NDArray zerosLike(NDArray like) {
		return Scopes.keep(manager.zeros(like.getShape(), like.getDataType(), like.getDevice()));
	}

	@Override
	public Map<String, NDArray> stateTensors() {
		Map<String, NDArray> out = new LinkedHashMap<>();
		expAvg.forEach((n, v) -> out.put("exp_avg/" + n, v));
		expAvgSq.forEach((n, v) -> out.put("exp_avg_sq/" + n, v));
		s.forEach((n, v) -> out.put("s/" + n, v));
		p0.forEach((n, v) -> out.put("p0/" + n, v));
		return out;
	}

	@Override
	public JsonObject stateScalars() {
		JsonObject o = new JsonObject();
		o.addProperty("type", "prodigy");
		o.addProperty("d", d);
		o.addProperty("d_max", dMax);
		o.addProperty("d_numerator", dNumerator);
		o.addProperty("k", k);
		return o;
	}

	@Override
	public void restore(Map<String, NDArray> tensors, JsonObject scalars) {
		close();
		if (!"prodigy".equals(scalars.get("type").getAsString())) throw new IllegalArgumentException(
			"the checkpoint holds the state of optimizer '" + scalars.get("type").getAsString() + "', not prodigy");
		d = scalars.get("d").getAsDouble();
		dMax = scalars.get("d_max").getAsDouble();
		dNumerator = scalars.get("d_numerator").getAsDouble();
		k = scalars.get("k").getAsInt();
		for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
			NDArray copy = Scopes.keep(Scopes.ownedCopy(e.getValue(), manager));
			copy.attach(manager);
			String key = e.getKey();
			int slash = key.indexOf('/');
			String kind = slash < 0 ? key : key.substring(0, slash), name = key.substring(slash + 1);
			Map<String, NDArray> target = switch (kind) {
				case "exp_avg" -> expAvg;
				case "exp_avg_sq" -> expAvgSq;
				case "s" -> s;
				case "p0" -> p0;
				default -> throw new IllegalArgumentException("unknown Prodigy state tensor '" + key + "'");
			};
			target.put(name, copy);
		}
	}

	@Override
	public void close() {
		for (Map<String, NDArray> m : List.of(expAvg, expAvgSq, s, p0)) {
			m.values().forEach(NDArray::close);
			m.clear();
		}
		d = d0;
		dMax = d0;
		dNumerator = 0;
		k = 0;
	}
}
