package io.github.diffusej.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import io.github.diffusej.model.nn.GradMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter 2019, "Decoupled Weight Decay Regularization"; Algorithm 2), with the update
 * order of {@code torch.optim.AdamW}: decay {@code p <- p (1 - lr wd)}; moments {@code m <- b1 m + (1 - b1) g},
 * {@code v <- b2 v + (1 - b2) g²}; step {@code p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)}.
 * The step count is per tensor, as in torch.
 */
public final class AdamW implements Optimizer {

	private final NDManager manager;
	private final double beta1;
	private final double beta2;
	private final double eps;
	private final double weightDecay;
	private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
	private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
	private final Map<String, Integer> steps = new LinkedHashMap<>();

	/** @param manager owns the moment tensors (on the trainables' device) */
	public AdamW(NDManager manager, double beta1, double beta2, double eps, double weightDecay) {
		this.manager = manager;
		this.beta1 = beta1;
		this.beta2 = beta2;
		this.eps = eps;
		this.weightDecay = weightDecay;
	}

	@Override
	public void step(List<Param> params, double lr) {
		try (GradMode ng = GradMode.noGrad(); NDManager scratch = manager.newSubManager()) {
			for (Param p : params) {
				double plr = lr * p.lrScale();
				NDArray m = expAvg.computeIfAbsent(p.name(), k -> zerosLike(p.value()));
				NDArray v = expAvgSq.computeIfAbsent(p.name(), k -> zerosLike(p.value()));
				int t = steps.merge(p.name(), 1, Integer::sum);
				NDArray g = p.grad();
				if (weightDecay != 0) p.value().muli(1 - plr * weightDecay);
				m.muli(beta1).addi(scoped(g.mul(1 - beta1), scratch));
				v.muli(beta2).addi(scoped(g.square(), scratch).muli(1 - beta2));
				double bc1 = 1 - Math.pow(beta1, t);
				double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
				NDArray denom = scoped(v.sqrt(), scratch).divi(bc2Sqrt).addi(eps);
				p.value().subi(scoped(m.div(denom), scratch).muli(plr / bc1));
			}
		}
	}

	private NDArray zerosLike(NDArray like) {
		return Scopes.keep(manager.zeros(like.getShape(), like.getDataType(), like.getDevice()));
	}

	static NDArray scoped(NDArray a, NDManager scratch) {
		a.attach(scratch);
		return a;
	}

	@Override
	public Map<String, NDArray> stateTensors() {
		Map<String, NDArray> out = new LinkedHashMap<>();
		expAvg.forEach((k, v) -> out.put("exp_avg/" + k, v));
		expAvgSq.forEach((k, v) -> out.put("exp_avg_sq/" + k, v));
		return out;
	}

	@Override
	public JsonObject stateScalars() {
		JsonObject o = new JsonObject();
		o.addProperty("type", "adamw");
		JsonObject s = new JsonObject();
		steps.forEach(s::addProperty);
		o.add("steps", s);
		return o;
	}

	@Override
	public void restore(Map<String, NDArray> tensors, JsonObject scalars) {
		close();
		if (!"adamw".equals(scalars.get("type").getAsString())) throw new IllegalArgumentException(
			"the checkpoint holds the state of optimizer '" + scalars.get("type").getAsString() + "', not adamw");
		scalars.getAsJsonObject("steps").entrySet().forEach(e -> steps.put(e.getKey(), e.getValue().getAsInt()));
		for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
			NDArray copy = Scopes.keep(Scopes.ownedCopy(e.getValue(), manager));
			copy.attach(manager);
			String k = e.getKey();
			if (k.startsWith("exp_avg_sq/")) expAvgSq.put(k.substring("exp_avg_sq/".length()), copy);
			else if (k.startsWith("exp_avg/")) expAvg.put(k.substring("exp_avg/".length()), copy);
			else throw new IllegalArgumentException("unknown AdamW state tensor '" + k + "'");
		}
	}

	@Override
	public void close() {
		expAvg.values().forEach(NDArray::close);
		expAvgSq.values().forEach(NDArray::close);
		expAvg.clear();
		expAvgSq.clear();
		steps.clear();
	}
}
