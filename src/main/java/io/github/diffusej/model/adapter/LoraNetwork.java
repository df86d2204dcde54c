package io.github.diffusej.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A trainable LoRA (or DoRA) attached under one name to the targeted layers of a UNet and, optionally, a text
 * encoder, beside whatever other adapters those layers hold (LoRA files for validation, a LoRA trained on top of).
 *
 * <p>Its tensors form one registry ({@link #tensors()}) keyed by the exact kohya file keys
 * ({@code lora_unet_<module>.lora_down.weight}, {@code .lora_up.weight}, {@code .dora_scale}; {@code lora_te_...}
 * for the text encoder), each with its {@link Group} so that the trainer can give the text encoder its own learning
 * rate. These "master" tensors are float32 (float64 for a float64 model), owned by the manager given to
 * {@link #attach}, and never require a gradient themselves: a training step swaps in fresh leaves in the compute
 * dtype ({@link #step}), and the optimizer updates the masters in place from the leaves' gradients. This is how
 * mixed precision works without a cast inside the graph (DJL's {@code toType} cuts it): fp32 masters, fp16 working
 * leaves when the frozen base runs in fp16.
 *
 * <p>Initialisation is that of kohya and PEFT: {@code lora_down} Kaiming-uniform (a = sqrt 5, bound
 * 1/sqrt(fan_in)) drawn in Java from the given {@link Rng} (layers in module order, UNet first, each tensor
 * row-major, so the same seed gives the same adapter on every device), {@code lora_up} = 0, DoRA magnitude
 * {@code ||W||}; hence at step 0 the model computes exactly what the base model does.
 */
public final class LoraNetwork {

	/** The component a tensor belongs to: its kohya prefix and the learning-rate group. */
	public enum Group {
		UNET("unet", "lora_unet_"),
		TEXT_ENCODER("text_encoder", "lora_te_");

		/** The component's name in {@link StableDiffusionModel#network(String)}. */
		public final String component;
		/** The kohya key prefix. */
		public final String prefix;

		Group(String component, String prefix) {
			this.component = component;
			this.prefix = prefix;
		}
	}

	/**
	 * One adapted layer (planned or attached).
	 *
	 * @param kohyaName {@code prefix + module.replace('.', '_')}: the stem of its file keys
	 * @param tensors file key -> shape, in file order (down, up, dora_scale)
	 */
	public record Layer(Group group, String module, String kohyaName, int rank, double alpha, boolean conv,
		Map<String, Shape> tensors)
	{
		public String downKey() {
			return kohyaName + ".lora_down.weight";
		}

		public String upKey() {
			return kohyaName + ".lora_up.weight";
		}

		public String alphaKey() {
			return kohyaName + ".alpha";
		}

		/** The {@code .dora_scale} key, or null for plain LoRA. */
		public String doraKey() {
			String k = kohyaName + ".dora_scale";
			return tensors.containsKey(k) ? k : null;
		}
	}

	/**
	 * One trainable tensor of the registry.
	 *
	 * @param key the kohya file key
	 * @param part {@code lora_down.weight}, {@code lora_up.weight} or {@code dora_scale}
	 * @param master the master tensor (updated in place by the optimizer; never replaced)
	 */
	public record TrainableTensor(String key, Group group, String module, String part, NDArray master) {}

	private final String name;
	private final Targets targets;
	private final LoraSpec spec;
	private final List<Layer> layers;
	private final Map<String, TrainableTensor> tensors;
	private final Map<String, LayerAdapter> adapterOf; // key -> its adapter
	private final Map<Layer, AdaptableLayer> attachedTo;
	private double weight = 1;
	private Step active;
	private boolean removed;

	private LoraNetwork(String name, Targets targets, LoraSpec spec, List<Layer> layers,
		Map<String, TrainableTensor> tensors, Map<String, LayerAdapter> adapterOf, Map<Layer, AdaptableLayer> attachedTo)
	{
		this.name = name;
		this.targets = targets;
		this.spec = spec;
		this.layers = List.copyOf(layers);
		this.tensors = Collections.unmodifiableMap(tensors);
		this.adapterOf = adapterOf;
		this.attachedTo = attachedTo;
	}

	/** Attaches a fresh network to a loaded model's UNet (and text encoder when {@code targets} says so). */
	public static LoraNetwork attach(StableDiffusionModel model, String name, Targets targets, LoraSpec spec, Rng rng,
		NDManager manager)
	{
		return attach(model.unet(), model.textEncoder(), name, targets, spec, rng, manager);
	}

	/**
	 * Attaches a fresh network under {@code name} to {@code unet} and (if targeted) {@code textEncoder}, which may
	 * be null when not targeted. Plain LoRA needs no base weights (a shapes-only network works); DoRA reads them
	 * for its magnitude. Nothing is attached when a name is taken or no layer matches.
	 */
	public static LoraNetwork attach(Network unet, Network textEncoder, String name, Targets targets, LoraSpec spec,
		Rng rng, NDManager manager)
	{
		if (name == null || name.isEmpty()) throw new IllegalArgumentException("adapter name is empty");
		Map<Layer, AdaptableLayer> found = find(unet, textEncoder, targets, spec);
		for (AdaptableLayer l : found.values())
			if (l.adapter(name) != null) throw new IllegalStateException("an adapter named '" + name
				+ "' is already attached; remove it or choose another name");
		DataType dtype = DataType.FLOAT32;
		for (AdaptableLayer l : found.values())
			if (l.weight().isLoaded() && l.weight().array().getDataType() == DataType.FLOAT64) dtype = DataType.FLOAT64;
		Map<String, TrainableTensor> tensors = new LinkedHashMap<>();
		Map<String, LayerAdapter> adapterOf = new LinkedHashMap<>();
		Map<Layer, LayerAdapter> made = new LinkedHashMap<>();
		for (Map.Entry<Layer, AdaptableLayer> e : found.entrySet()) {
			Layer p = e.getKey();
			AdaptableLayer l = e.getValue();
			LayerAdapter a = spec.isDora() ? DoraAdapter.create(l, p.rank(), p.alpha(), spec.dora(), rng, manager, dtype)
				: LoraAdapter.create(l, p.rank(), p.alpha(), rng, manager, dtype);
			made.put(p, a);
			for (Map.Entry<String, NDArray> t : a.tensors().entrySet()) {
				String key = p.kohyaName() + "." + t.getKey();
				tensors.put(key, new TrainableTensor(key, p.group(), p.module(), t.getKey(), t.getValue()));
				adapterOf.put(key, a);
			}
		}
		made.forEach((p, a) -> found.get(p).addAdapter(name, a, 1));
		return new LoraNetwork(name, targets, spec, new ArrayList<>(found.keySet()), tensors, adapterOf, found);
	}

	/**
	 * The layers and tensor shapes {@link #attach} would create, without allocating anything (works on
	 * shapes-only networks, e.g. an SD1.5-size network built from its configs).
	 */
	public static List<Layer> plan(Network unet, Network textEncoder, Targets targets, LoraSpec spec) {
		return new ArrayList<>(find(unet, textEncoder, targets, spec).keySet());
	}

	private static Map<Layer, AdaptableLayer> find(Network unet, Network te, Targets targets, LoraSpec spec) {
		Map<Layer, AdaptableLayer> out = new LinkedHashMap<>();
		collect(unet, Group.UNET, targets::unet, spec, out);
		int unetCount = out.size();
		if (unetCount == 0) throw new IllegalArgumentException("no UNet layer matches the LoRA targets '" + targets
			+ "' (module paths look like down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q)");
		if (targets.textEncoder()) {
			if (te == null) throw new IllegalArgumentException("text-encoder LoRA asked for, but no text encoder given");
			collect(te, Group.TEXT_ENCODER, targets::textEncoder, spec, out);
			if (out.size() == unetCount) throw new IllegalArgumentException("the text encoder has no "
				+ Targets.TEXT_ENCODER_MODULES + " layers");
		}
		return out;
	}

	private static void collect(Network net, Group g, java.util.function.Predicate<String> target, LoraSpec spec,
		Map<Layer, AdaptableLayer> out)
	{
		for (Map.Entry<String, Module> e : net.modules().entrySet()) {
			if (!(e.getValue() instanceof AdaptableLayer l) || !target.test(e.getKey())) continue;
			int r = spec.rankFor(l);
			String stem = g.prefix + e.getKey().replace('.', '_');
			Map<String, Shape> shapes = new LinkedHashMap<>();
			shapes.put(stem + ".lora_down.weight", LoraAdapter.downShape(l, r));
			shapes.put(stem + ".lora_up.weight", LoraAdapter.upShape(l, r));
			if (spec.isDora()) shapes.put(stem + ".dora_scale", DoraAdapter.magnitudeShape(l.weight().shape(), spec.dora()));
			out.put(new Layer(g, e.getKey(), stem, r, spec.alphaFor(l), l instanceof Conv2d,
				Collections.unmodifiableMap(shapes)), l);
		}
	}

	public String name() {
		return name;
	}

	public Targets targets() {
		return targets;
	}

	public LoraSpec spec() {
		return spec;
	}

	/** The adapted layers, in module order (UNet first). */
	public List<Layer> layers() {
		return layers;
	}

	/** The registry: kohya file key -> tensor, in layer order. */
	public Map<String, TrainableTensor> tensors() {
		return tensors;
	}

	/** The master tensors of one group, by key (e.g. for an optimizer group with its own learning rate). */
	public Map<String, NDArray> masters(Group group) {
		Map<String, NDArray> out = new LinkedHashMap<>();
		tensors.forEach((k, t) -> {
			if (t.group() == group) out.put(k, t.master());
		});
		return out;
	}

	/** Number of trainable values. */
	public long parameterCount() {
		long n = 0;
		for (TrainableTensor t : tensors.values()) n += t.master().getShape().size();
		return n;
	}

	/** The master's values as float32, row-major (for saving). */
	public float[] values(String key) {
		NDArray m = tensor(key).master();
		if (m.getDataType() == DataType.FLOAT32) return m.toFloatArray();
		try (NDArray f = m.toType(DataType.FLOAT32, true)) {
			return f.toFloatArray();
		}
	}

	/** This network's multiplier on every layer (1 while training; e.g. to preview it weaker). */
	public void setWeight(double w) {
		checkAttached();
		for (AdaptableLayer l : attachedTo.values()) l.setAdapterWeight(name, w);
		weight = w;
	}

	public double weight() {
		return weight;
	}

	/**
	 * Copies the values of a kohya file made for the same targets and spec (a checkpoint to resume, reference
	 * tensors) into the masters. The file must hold exactly this network's keys with the same shapes and, where
	 * present, the same {@code .alpha}; other tensors ({@code bundle_emb.*}) are ignored.
	 */
	public void load(SafetensorsFile f) throws IOException {
		checkAttached();
		List<String> problems = new ArrayList<>();
		for (TrainableTensor t : tensors.values()) {
			if (!f.contains(t.key())) {
				problems.add("missing " + t.key());
				continue;
			}
			long[] have = f.info(t.key()).shape();
			if (!new Shape(have).equals(t.master().getShape())) problems.add(t.key() + " is " + new Shape(have)
				+ ", this network has " + t.master().getShape());
		}
		for (Layer l : layers) {
			if (!f.contains(l.alphaKey())) continue;
			float a = f.floats(l.alphaKey())[0];
			if (Math.abs(a - l.alpha()) > 1e-6 * Math.max(1, Math.abs(l.alpha()))) problems.add(l.alphaKey() + " is "
				+ a + ", this network has alpha " + l.alpha());
		}
		Set<String> unknown = new TreeSet<>();
		for (String n : f.names()) {
			if (n.startsWith("bundle_emb.") || tensors.containsKey(n)) continue;
			if (n.endsWith(".alpha") && layers.stream().anyMatch(l -> l.alphaKey().equals(n))) continue;
			unknown.add(n);
		}
		if (!unknown.isEmpty()) problems.add(unknown.size() + " tensor(s) this network does not have (was it trained "
			+ "with other targets or without/with DoRA?): " + (unknown.size() > 5 ? new ArrayList<>(unknown).subList(0, 5)
				+ " ..." : unknown));
		if (!problems.isEmpty()) throw new IOException(f.path() + " does not fit LoRA '" + name + "': "
			+ String.join("; ", problems.size() > 8 ? problems.subList(0, 8) : problems));
		for (TrainableTensor t : tensors.values()) {
			float[] v = f.floats(t.key());
			for (float x : v)
				if (!Float.isFinite(x)) throw new IOException(f.path() + ": " + t.key() + " contains NaN or infinite values");
			if (t.master().getDataType() == DataType.FLOAT32) t.master().set(v);
			else {
				double[] d = new double[v.length];
				for (int i = 0; i < v.length; i++) d[i] = v[i];
				t.master().set(d);
			}
		}
	}

	/**
	 * Starts a training step: every tensor is replaced, in the adapters, by a fresh leaf in {@code compute}
	 * (the dtype the layers compute in, i.e. of their input), owned by {@code scope}, that requires a gradient.
	 * Run forward and backward, read {@link Step#gradients()}, update the masters, then close the step to put the
	 * masters back (closing {@code scope} frees the leaves). Only one step may be open at a time.
	 */
	public Step step(DataType compute, NDManager scope) {
		checkAttached();
		if (active != null) throw new IllegalStateException("a step of LoRA '" + name + "' is still open");
		Map<String, NDArray> leaves = new LinkedHashMap<>();
		for (TrainableTensor t : tensors.values()) {
			NDArray m = t.master();
			NDArray leaf = m.getDataType() == compute ? m.duplicate() : m.toType(compute, true);
			leaf.attach(scope);
			leaf.setRequiresGradient(true);
			leaves.put(t.key(), leaf);
		}
		install(leaves);
		active = new Step(leaves);
		return active;
	}

	/**
	 * Makes the adapters compute with {@code values} (by kohya key, in the layers' compute dtype) instead of the
	 * masters, until {@link #useMasters}: a trainer's working copies for one step, or an EMA average for
	 * validation. Keys not given keep their current tensor.
	 */
	public void use(Map<String, NDArray> values) {
		checkAttached();
		for (String k : values.keySet()) tensor(k);
		install(values);
	}

	/** Puts the masters back into the adapters (after {@link #use}). */
	public void useMasters() {
		checkAttached();
		Map<String, NDArray> masters = new LinkedHashMap<>();
		tensors.forEach((k, t) -> masters.put(k, t.master()));
		install(masters);
	}

	private void install(Map<String, NDArray> values) {
		values.forEach((key, v) -> {
			LayerAdapter a = adapterOf.get(key);
			String part = tensors.get(key).part();
			if (a instanceof DoraAdapter d) d.use(part, v);
			else ((LoraAdapter) a).use(part, v);
		});
	}

	/** Removes this network's adapters from every layer (other adapters stay). The masters stay with their manager. */
	public void remove() {
		if (removed) return;
		if (active != null) active.close();
		for (AdaptableLayer l : attachedTo.values()) l.removeAdapter(name);
		removed = true;
	}

	public boolean isAttached() {
		return !removed;
	}

	private void checkAttached() {
		if (removed) throw new IllegalStateException("LoRA '" + name + "' was removed");
	}

	private TrainableTensor tensor(String key) {
		TrainableTensor t = tensors.get(key);
		if (t == null) throw new IllegalArgumentException("LoRA '" + name + "' has no tensor '" + key + "'");
		return t;
	}

	/** One training step's working leaves (see {@link #step}); closing it puts the masters back. */
	public final class Step implements AutoCloseable {

		private final Map<String, NDArray> leaves;
		private boolean closed;

		private Step(Map<String, NDArray> leaves) {
			this.leaves = Collections.unmodifiableMap(leaves);
		}

		/** The leaves in use, by kohya key (same order as {@link #tensors()}). */
		public Map<String, NDArray> leaves() {
			return leaves;
		}

		/**
		 * The gradient of the leaf {@code key} in the master's dtype, owned by the step's scope (zeros when the
		 * backward pass did not reach it).
		 */
		public NDArray gradient(String key) {
			NDArray leaf = leaves.get(key);
			if (leaf == null) throw new IllegalArgumentException("LoRA '" + name + "' has no tensor '" + key + "'");
			NDArray g = leaf.getGradient();
			g.attach(leaf.getManager());
			DataType want = tensors.get(key).master().getDataType();
			if (g.getDataType() == want) return g;
			NDArray c = g.toType(want, true);
			c.attach(leaf.getManager());
			g.close();
			return c;
		}

		/** Every gradient by kohya key ({@link #gradient}). */
		public Map<String, NDArray> gradients() {
			Map<String, NDArray> out = new LinkedHashMap<>();
			for (String k : leaves.keySet()) out.put(k, gradient(k));
			return out;
		}

		@Override
		public void close() {
			if (closed) return;
			closed = true;
			Map<String, NDArray> masters = new LinkedHashMap<>();
			tensors.forEach((k, t) -> masters.put(k, t.master()));
			install(masters);
			active = null;
		}
	}
}
