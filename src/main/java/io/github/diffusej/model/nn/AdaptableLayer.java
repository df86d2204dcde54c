package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer with a {@code weight} (and optional {@code bias}) that adapters can change without touching it:
 * {@link Linear} and {@link Conv2d}.
 *
 * <h2>Adapters</h2>
 * The layer holds an ordered list of named {@link LayerAdapter}s, each with a multiplier {@code w_i} (its
 * "weight"; 1 by default). With {@code W_0 = W} (the frozen weight) the effective weight is defined step by step:
 * <ul>
 * <li>additive adapter (LoRA): {@code W_i = W_{i-1} + w_i·ΔW_i}, with {@code ΔW_i = (alpha_i/r_i)·up_i@down_i};</li>
 * <li>recomposing adapter (DoRA): {@code W_i = W_{i-1} + w_i·(D_i(W_{i-1}) − W_{i-1})}, i.e. DoRA works on the
 * effective weight so far (all earlier terms folded in) and its multiplier blends as ComfyUI does;</li>
 * </ul>
 * and the output is {@code y = op(x, W_n) + b}. Additive terms commute, so only their position relative to
 * recomposing adapters matters.
 *
 * <p>How it is computed (the same function, cheaply):
 * <ul>
 * <li>the leading adapters that are not {@link LayerAdapter#trainable() trainable} (files loaded for generation or
 * validation) are folded once into a cached weight, kept in the frozen weight's dtype and manager and rebuilt when
 * an adapter is added, removed or re-weighted; when no recomposing adapter follows the first trainable one, the
 * frozen additive adapters after it are folded into the cache too (they commute);</li>
 * <li>the remaining additive adapters are computed on the fly, {@code y += w_i·Δ_i(x)}, which is what training
 * wants: no weight is materialised and the gradient reaches only the adapter's small tensors;</li>
 * <li>before a remaining recomposing adapter, the pending additive terms are materialised into the weight, which
 * the adapter then recomposes (the result feeds the layer's own operation) -- except for the last one when it
 * has a factored form with multiplier 1 (a trainable DoRA on kohya's axis with a detached norm,
 * {@link LayerAdapter.Recomposing#inputScaling}): then the layer computes {@code op(x ⊙ s, W) + Δ(x ⊙ s)} and no
 * weight-sized tensor enters the autograd graph.</li>
 * </ul>
 * The frozen weight is never modified (removing every adapter restores the base layer exactly) and never gets a
 * gradient; the only operation that changes it is the explicit {@link #mergeAdapters()}.
 */
public abstract sealed class AdaptableLayer extends Module permits Linear, Conv2d {

	/** One attached adapter. Identity of the adapter object matters (records compare it by reference). */
	private record Attached(String name, LayerAdapter adapter, double weight) {}

	/** The cached effective weight of {@code folded}, in the frozen weight's dtype. */
	private record Cache(List<Attached> folded, NDArray weight) {}

	protected final Param weight;
	protected final Param bias;
	private final List<Attached> adapters = new ArrayList<>();
	private Cache cache;

	protected AdaptableLayer(long[] weightShape, boolean hasBias) {
		weight = param("weight", weightShape);
		bias = hasBias ? param("bias", weightShape[0]) : null;
	}

	public Param weight() {
		return weight;
	}

	/** The bias, or null. */
	public Param bias() {
		return bias;
	}

	public long outFeatures() {
		return weight.shape().get(0);
	}

	public long inFeatures() {
		return weight.shape().get(1);
	}

	/** The layer's operation with an explicit weight (already in the compute dtype) and the layer's own bias. */
	public abstract NDArray apply(NDArray x, NDArray w);

	/** The layer's operation with an explicit weight and no bias (for LoRA branches shaped like this layer). */
	public abstract NDArray applyNoBias(NDArray x, NDArray w);

	/** The layer's output: the frozen weight composed with the attached adapters (see the class comment). */
	public final NDArray forward(NDArray x) {
		if (adapters.isEmpty()) return apply(x, weight.as(x));
		List<Attached> all = List.copyOf(adapters);
		List<Attached> folded = foldable(all);
		List<Attached> rest = new ArrayList<>();
		for (Attached a : all)
			if (!folded.contains(a)) rest.add(a);
		int lastRecomposing = -1;
		for (int i = 0; i < rest.size(); i++)
			if (rest.get(i).adapter() instanceof LayerAdapter.Recomposing) lastRecomposing = i;
		NDArray w = folded.isEmpty() ? weight.as(x) : Param.cast(cachedWeight(folded), x);
		List<Attached> pending = new ArrayList<>();
		for (int i = 0; i < rest.size(); i++) {
			Attached a = rest.get(i);
			if (a.adapter() instanceof LayerAdapter.Additive) {
				pending.add(a);
				continue;
			}
			if (i == lastRecomposing && a.weight() == 1) {
				NDArray y = factored(x, w, pending, (LayerAdapter.Recomposing) a.adapter(), rest.subList(i + 1, rest.size()));
				if (y != null) return y;
			}
			w = materialise(w, pending, x);
			pending.clear();
			w = recompose(a, w, x);
		}
		return addTerms(apply(x, w), pending, x);
	}

	/**
	 * The last recomposing adapter in factored form ({@link LayerAdapter.Recomposing#inputScaling}):
	 * {@code op(x ⊙ s, w) + Σ pending(x ⊙ s) + Δ(x ⊙ s) + Σ after(x)}; null when it has none. The effective weight
	 * so far is materialised only without a graph, for the adapter's norm.
	 */
	private NDArray factored(NDArray x, NDArray w, List<Attached> pending, LayerAdapter.Recomposing r,
		List<Attached> after)
	{
		NDArray sofar;
		try (GradMode ng = GradMode.noGrad()) {
			sofar = materialise(w, pending, x);
		}
		LayerAdapter.InputScaling s = r.inputScaling(this, sofar, x);
		if (sofar != w) sofar.close();
		if (s == null) return null;
		NDArray xs = x.mul(s.scale()); // scale [1, in] or [1, in, 1, 1] along the input channels
		List<Attached> scaled = new ArrayList<>(pending);
		scaled.add(new Attached("", s.delta(), 1));
		return addTerms(addTerms(apply(xs, w), scaled, xs), after, x);
	}

	/** {@code y + Σ w_i·Δ_i(x)}. */
	private NDArray addTerms(NDArray y, List<Attached> terms, NDArray x) {
		for (Attached a : terms) {
			NDArray d = ((LayerAdapter.Additive) a.adapter()).deltaOutput(this, x);
			y = y.add(a.weight() == 1 ? d : Param.times(d, a.weight()));
		}
		return y;
	}

	/** The adapters folded into the cached weight (see the class comment): a frozen prefix, plus more when safe. */
	private static List<Attached> foldable(List<Attached> all) {
		int firstTrainable = 0;
		while (firstTrainable < all.size() && !all.get(firstTrainable).adapter().trainable()) firstTrainable++;
		List<Attached> out = new ArrayList<>(all.subList(0, firstTrainable));
		List<Attached> rest = all.subList(firstTrainable, all.size());
		if (rest.stream().noneMatch(a -> a.adapter() instanceof LayerAdapter.Recomposing))
			for (Attached a : rest)
				if (!a.adapter().trainable()) out.add(a);
		return out;
	}

	/** {@code w + Σ w_i·ΔW_i}, in the dtype and manager of {@code like} (w may be a parameter: right operand). */
	private NDArray materialise(NDArray w, List<Attached> terms, NDArray like) {
		NDArray sum = null;
		for (Attached a : terms) {
			NDArray d = ((LayerAdapter.Additive) a.adapter()).deltaWeight(this, like);
			if (a.weight() != 1) d = Param.times(d, a.weight());
			sum = sum == null ? d : sum.add(d);
		}
		return sum == null ? w : sum.add(w);
	}

	/** {@code w + m·(D(w) − w)}, or {@code D(w)} for m = 1, in the dtype and manager of {@code like}. */
	private NDArray recompose(Attached a, NDArray w, NDArray like) {
		NDArray d = ((LayerAdapter.Recomposing) a.adapter()).recompose(this, w, like);
		return a.weight() == 1 ? d : Param.times(d.sub(w), a.weight()).add(w);
	}

	/**
	 * The effective weight of {@code folded}, computed without a graph in float32 (float64 for a float64 layer),
	 * stored in the frozen weight's dtype and manager, and reused until the folded list changes.
	 */
	private synchronized NDArray cachedWeight(List<Attached> folded) {
		if (cache != null && cache.folded().equals(folded)) return cache.weight();
		dropCache();
		NDArray w = compose(folded, weight.array().getManager());
		cache = new Cache(List.copyOf(folded), w);
		return w;
	}

	/** The composition of {@code list} on the frozen weight, in the frozen weight's dtype, owned by {@code owner}. */
	private NDArray compose(List<Attached> list, NDManager owner) {
		NDArray base = weight.array();
		DataType acc = base.getDataType() == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
		try (GradMode ng = GradMode.noGrad(); NDManager scratch = base.getManager().newSubManager()) {
			NDArray w = base.toType(acc, true);
			w.attach(scratch);
			for (Attached a : list) {
				if (a.adapter() instanceof LayerAdapter.Additive add) {
					NDArray d = add.deltaWeight(this, w);
					w = (a.weight() == 1 ? d : Param.times(d, a.weight())).add(w);
				}
				else w = recompose(a, w, w);
			}
			NDArray out = w.toType(base.getDataType(), true);
			out.attach(owner);
			// A forward may run inside an NDScope, which would otherwise close the result with the caller's temporaries.
			NDScope.unregister(out);
			return out;
		}
	}

	private synchronized void dropCache() {
		if (cache != null) cache.weight().close();
		cache = null;
	}

	/**
	 * The effective weight of all adapters (trainable ones included, without a graph), in the frozen weight's
	 * dtype, owned by {@code owner}: what {@link #forward} computes with, e.g. to inspect or export a merge.
	 */
	public NDArray effectiveWeight(NDManager owner) {
		return compose(List.copyOf(adapters), owner);
	}

	/** Appends an adapter with multiplier 1. */
	public void addAdapter(String name, LayerAdapter adapter) {
		addAdapter(name, adapter, 1);
	}

	/** Appends an adapter under a name not yet used on this layer, with multiplier {@code weight}. */
	public synchronized void addAdapter(String name, LayerAdapter adapter, double weight) {
		if (name == null || name.isEmpty()) throw new IllegalArgumentException("adapter name is empty");
		if (adapter == null) throw new IllegalArgumentException("adapter '" + name + "' is null");
		checkWeight(name, weight);
		if (index(name) >= 0) throw new IllegalStateException("layer already has an adapter named '" + name
			+ "'; remove it first");
		adapters.add(new Attached(name, adapter, weight));
		dropCache();
	}

	/** Removes the adapter called {@code name} and returns it (null when there was none); W is untouched. */
	public synchronized LayerAdapter removeAdapter(String name) {
		int i = index(name);
		if (i < 0) return null;
		LayerAdapter a = adapters.remove(i).adapter();
		dropCache();
		return a;
	}

	/** Removes every adapter; returns how many there were. */
	public synchronized int clearAdapters() {
		int n = adapters.size();
		adapters.clear();
		dropCache();
		return n;
	}

	/** Changes the multiplier of adapter {@code name}. */
	public synchronized void setAdapterWeight(String name, double weight) {
		int i = index(name);
		if (i < 0) throw new IllegalArgumentException("no adapter '" + name + "' on this layer");
		checkWeight(name, weight);
		Attached a = adapters.get(i);
		if (a.weight() == weight) return;
		adapters.set(i, new Attached(name, a.adapter(), weight));
		dropCache();
	}

	/** The multiplier of adapter {@code name}. */
	public synchronized double adapterWeight(String name) {
		int i = index(name);
		if (i < 0) throw new IllegalArgumentException("no adapter '" + name + "' on this layer");
		return adapters.get(i).weight();
	}

	/** The adapter called {@code name}, or null. */
	public synchronized LayerAdapter adapter(String name) {
		int i = index(name);
		return i < 0 ? null : adapters.get(i).adapter();
	}

	/** The attached adapters by name, in composition order. */
	public synchronized Map<String, LayerAdapter> adapters() {
		Map<String, LayerAdapter> out = new LinkedHashMap<>();
		for (Attached a : adapters) out.put(a.name(), a.adapter());
		return out;
	}

	public synchronized boolean hasAdapters() {
		return !adapters.isEmpty();
	}

	/**
	 * Folds every adapter into the weight ({@code W <- effective weight}) and removes them: the one operation
	 * that changes the frozen weight. The previous weight array stays with its manager.
	 */
	public synchronized void mergeAdapters() {
		if (adapters.isEmpty()) throw new IllegalStateException("no adapter to merge");
		NDArray merged = effectiveWeight(weight.array().getManager());
		adapters.clear();
		dropCache();
		weight.set(merged);
	}

	private int index(String name) {
		for (int i = 0; i < adapters.size(); i++)
			if (adapters.get(i).name().equals(name)) return i;
		return -1;
	}

	private static void checkWeight(String name, double weight) {
		if (!Double.isFinite(weight)) throw new IllegalArgumentException("adapter '" + name + "': weight " + weight
			+ " is not a finite number");
	}
}
