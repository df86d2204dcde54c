package io.github.diffusej.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.model.nn.GradMode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exponential moving average of the trainable tensors, updated after each optimizer step with the decay
 * schedule of diffusers' {@code EMAModel}: update {@code n} (1-based) uses {@code 0} for the first, then
 * {@code min(decay, (1 + n - 1) / (10 + n - 1))}, so early weights are not over-weighted:
 * {@code shadow <- shadow - (1 - decay_n) (shadow - value)}.
 */
public final class Ema {

	private final NDManager manager;
	private final double decay;
	private final Map<String, NDArray> shadow = new LinkedHashMap<>();
	private int updates;

	public Ema(NDManager manager, double decay) {
		this.manager = manager;
		this.decay = decay;
	}

	/** The decay used by update number {@code n} (1-based). */
	public double decayAt(int n) {
		int step = n - 1;
		if (step <= 0) return 0;
		return Math.min(decay, (1.0 + step) / (10.0 + step));
	}

	public void update(Map<String, NDArray> values) {
		updates++;
		double dn = decayAt(updates);
		try (GradMode ng = GradMode.noGrad(); NDManager scratch = manager.newSubManager()) {
			for (Map.Entry<String, NDArray> e : values.entrySet()) {
				NDArray s = shadow.get(e.getKey());
				if (s == null) {
					s = Scopes.keep(e.getValue().duplicate());
					s.attach(manager);
					shadow.put(e.getKey(), s);
					continue; // the first update copies (decay 0)
				}
				NDArray diff = s.sub(e.getValue());
				diff.attach(scratch);
				s.subi(diff.muli(1 - dn));
			}
		}
	}

	/** The averaged tensors by registry name (owned by this EMA). */
	public Map<String, NDArray> values() {
		return shadow;
	}

	public int updates() {
		return updates;
	}

	/** Restores a saved state (tensors are copied). */
	public void restore(Map<String, NDArray> values, int updateCount) {
		close();
		for (Map.Entry<String, NDArray> e : values.entrySet()) {
			NDArray copy = Scopes.keep(Scopes.ownedCopy(e.getValue(), manager));
			copy.attach(manager);
			shadow.put(e.getKey(), copy);
		}
		updates = updateCount;
	}

	public void close() {
		shadow.values().forEach(NDArray::close);
		shadow.clear();
		updates = 0;
	}
}
