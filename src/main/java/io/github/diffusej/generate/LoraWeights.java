package io.github.diffusej.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.export.LoraLayer;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Applies LoRA/DoRA files to a loaded model, through the same named-adapter mechanism training uses
 * ({@link AdaptableLayer}): file {@code i} becomes a frozen adapter named {@link #adapterName(int, Path)} on each
 * layer it adapts, with the file's multiplier as its weight, in file order. So
 * <ul>
 * <li>LoRA: {@code W' = W + m·(alpha/r)·up@down} (conv: {@code up [out, r, 1, 1]} composed with
 * {@code down [r, in, kh, kw]});</li>
 * <li>DoRA: {@code W' = W + m·(D(W) − W)} with {@link DoraAdapter}'s {@code D} on the effective weight so far
 * (norm per input channel for kohya's {@code dora_scale [1, in(, 1, 1)]}, per output channel for PEFT's
 * magnitude).</li>
 * </ul>
 * The frozen adapters are folded once into a cached weight per layer (rebuilt when a weight changes, e.g. by
 * {@link #setWeight} in a grid). Other adapters on the same layers (a LoRA being trained) are left alone. Removing
 * the files restores the base weights exactly. Embeddings bundled in a file ({@code bundle_emb.*}) are added to the
 * model's tokens while the file is applied.
 */
public final class LoraWeights {

	private static final String PREFIX = "lora-file:";

	/** Bundled embedding tokens added per model by {@link #apply}, removed again by {@link #remove}. */
	private static final Map<StableDiffusionModel, List<String>> BUNDLED = new WeakHashMap<>();

	private LoraWeights() {}

	/** The adapter name of the {@code index}-th file of a request. */
	public static String adapterName(int index, Path file) {
		return PREFIX + index + ":" + file.getFileName();
	}

	/**
	 * Reads, resolves and applies {@code files} with their multipliers, replacing files applied before; returns
	 * the number of adapted layers. Nothing is attached when any file does not fit the model.
	 */
	public static synchronized int apply(StableDiffusionModel model, List<GenerationRequest.LoraRef> files)
		throws IOException
	{
		remove(model);
		List<List<LoraLayer>> resolved = new ArrayList<>();
		List<Embedding> bundled = new ArrayList<>();
		for (GenerationRequest.LoraRef ref : files) {
			resolved.add(LoraFile.resolve(LoraFile.read(ref.file()), model.adaptableLayers()));
			for (Embedding e : LoraFile.readBundledEmbeddings(ref.file()))
				if (!model.extraTokens().contains(e.token())) bundled.add(e);
		}
		List<String> added = new ArrayList<>();
		try {
			for (Embedding e : bundled) {
				model.addEmbedding(e);
				added.add(e.token());
			}
		}
		catch (IllegalArgumentException e) {
			for (String t : added) model.removeToken(t);
			throw new IOException(e.getMessage(), e);
		}
		BUNDLED.put(model, added);
		Set<AdaptableLayer> adapted = new HashSet<>();
		NDManager m = model.manager();
		for (int i = 0; i < files.size(); i++) {
			String name = adapterName(i, files.get(i).file());
			for (LoraLayer l : resolved.get(i)) {
				AdaptableLayer layer = model.network(l.component()).layer(l.module());
				layer.addAdapter(name, frozenAdapter(layer, l, m), files.get(i).weight());
				adapted.add(layer);
			}
		}
		return adapted.size();
	}

	/** The frozen adapter of one file layer, its tensors float32 in {@code m}. */
	private static LayerAdapter frozenAdapter(AdaptableLayer layer, LoraLayer l, NDManager m) {
		NDArray down = m.create(l.down(), new Shape(l.downShape()));
		NDArray up = m.create(l.up(), new Shape(l.upShape()));
		double alpha = l.alpha(); // NaN (absent) or 0 means alpha = rank, as LoraLayer#scale says
		if (l.dora() == null) return LoraAdapter.of(layer, down, up, alpha, false);
		NDArray mag = m.create(l.dora(), new Shape(l.doraShape()));
		return DoraAdapter.of(layer, down, up, mag, alpha, false, true);
	}

	/**
	 * Changes the multiplier of the {@code index}-th applied file on every layer it adapts (a grid's LoRA-weight
	 * sweep); returns the number of layers.
	 */
	public static synchronized int setWeight(StableDiffusionModel model, int index, Path file, double weight) {
		String name = adapterName(index, file);
		int n = 0;
		for (AdaptableLayer l : layers(model))
			if (l.adapter(name) != null) {
				l.setAdapterWeight(name, weight);
				n++;
			}
		if (n == 0) throw new IllegalArgumentException("LoRA " + file + " is not applied as file " + index);
		return n;
	}

	/** Removes every file applied by {@link #apply} (and its bundled embeddings); returns how many layers were restored. */
	public static synchronized int remove(StableDiffusionModel model) {
		int n = 0;
		for (AdaptableLayer l : layers(model)) {
			boolean any = false;
			for (String name : List.copyOf(l.adapters().keySet())) {
				if (!name.startsWith(PREFIX)) continue;
				LayerAdapter a = l.removeAdapter(name);
				a.tensors().values().forEach(NDArray::close);
				any = true;
			}
			if (any) n++;
		}
		List<String> tokens = BUNDLED.remove(model);
		if (tokens != null)
			for (String t : tokens) model.removeToken(t);
		return n;
	}

	private static List<AdaptableLayer> layers(StableDiffusionModel model) {
		List<AdaptableLayer> out = new ArrayList<>();
		for (Network net : List.of(model.unet(), model.textEncoder()))
			for (Module mod : net.modules().values())
				if (mod instanceof AdaptableLayer l) out.add(l);
		return out;
	}
}
