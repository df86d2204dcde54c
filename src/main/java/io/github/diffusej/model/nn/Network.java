package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.model.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The root of a network component (text encoder, UNet, VAE): strict weight loading by reference key, the
 * attention-kernel switch, and adapter bookkeeping.
 */
public abstract class Network extends Module {

	/** Keys a checkpoint may carry that the network does not need (non-persistent buffers and the like). */
	protected Set<String> ignorableKeys() {
		return Set.of();
	}

	/**
	 * Loads every parameter from {@code src} as {@code dtype} into {@code manager} (which also decides the
	 * device). Before anything is loaded, the key and shape sets are compared: missing keys, unexpected keys and
	 * shape mismatches are reported together in one exception naming {@code src.describe()}.
	 */
	public void loadWeights(WeightSource src, NDManager manager, DataType dtype) throws IOException {
		Map<String, Param> params = parameters();
		List<String> problems = new ArrayList<>();
		Set<String> available = src.keys();
		Set<String> missing = new TreeSet<>();
		for (Map.Entry<String, Param> e : params.entrySet()) {
			if (!available.contains(e.getKey())) {
				missing.add(e.getKey());
				continue;
			}
			long[] have = src.shape(e.getKey());
			long[] want = e.getValue().shape().getShape();
			if (!Arrays.equals(have, want)) problems.add("shape mismatch " + e.getKey() + ": checkpoint "
				+ Arrays.toString(have) + ", network " + Arrays.toString(want));
		}
		Set<String> unexpected = new TreeSet<>();
		for (String k : available) {
			if (!params.containsKey(k) && !ignorableKeys().contains(k)) unexpected.add(k);
		}
		if (!missing.isEmpty()) problems.add(0, missing.size() + " missing key(s): " + abbreviate(missing));
		if (!unexpected.isEmpty()) problems.add(unexpected.size() + " unexpected key(s): " + abbreviate(unexpected));
		if (!problems.isEmpty()) throw new IOException("cannot load " + getClass().getSimpleName() + " weights from "
			+ src.describe() + ":\n  " + String.join("\n  ", problems));
		for (Map.Entry<String, Param> e : params.entrySet()) {
			NDArray a = src.load(e.getKey(), manager, dtype);
			e.getValue().set(a);
		}
	}

	private static String abbreviate(Set<String> keys) {
		List<String> l = new ArrayList<>(keys);
		int n = 20;
		return l.size() <= n ? String.join(", ", l) : String.join(", ", l.subList(0, n)) + ", ... ("
			+ (l.size() - n) + " more)";
	}

	/** Switches the attention math of every attention module (full or chunked). */
	public void setAttentionKernel(AttentionKernel kernel) {
		for (Module m : modules().values()) {
			if (m instanceof AttentionHolder h) h.setKernel(kernel);
		}
	}

	/** The adaptable layer at a module path (a Linear or Conv2d). */
	public AdaptableLayer layer(String path) {
		return find(path, AdaptableLayer.class);
	}

	/** Every adaptable layer that has at least one adapter, by module path, in module order. */
	public Map<String, AdaptableLayer> adaptedLayers() {
		Map<String, AdaptableLayer> out = new LinkedHashMap<>();
		modules().forEach((p, m) -> {
			if (m instanceof AdaptableLayer l && l.hasAdapters()) out.put(p, l);
		});
		return out;
	}

	/** Removes the adapter called {@code name} from every layer; returns from how many layers. */
	public int removeAdapters(String name) {
		int n = 0;
		for (Module m : modules().values()) {
			if (m instanceof AdaptableLayer l && l.removeAdapter(name) != null) n++;
		}
		return n;
	}

	/** Removes every adapter of every layer; returns how many layers had any. */
	public int clearAdapters() {
		int n = 0;
		for (Module m : modules().values()) {
			if (m instanceof AdaptableLayer l && l.clearAdapters() > 0) n++;
		}
		return n;
	}
}
