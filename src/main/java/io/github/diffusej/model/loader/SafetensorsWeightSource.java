package io.github.diffusej.model.loader;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.WeightSource;
import io.github.diffusej.model.ldm.LdmKeyMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of one diffusers/transformers component: one {@code .safetensors} file, the shards listed by a
 * {@code *.safetensors.index.json}, or several plain files ({@link #openFiles}). Keys are the file's own names,
 * except constant buffers ({@code position_ids}), which are hidden, and pre-0.14 VAE attention names, which are
 * shown under today's names. A key may come from one file only.
 */
public final class SafetensorsWeightSource implements WeightSource {

	private record Where(SafetensorsFile file, String name) {}

	private final String description;
	private final List<SafetensorsFile> files;
	private final Map<String, Where> keys;

	private SafetensorsWeightSource(String description, List<SafetensorsFile> files, Map<String, Where> keys) {
		this.description = description;
		this.files = files;
		this.keys = keys;
	}

	/** Opens a single {@code .safetensors} file or a sharded {@code .safetensors.index.json}. */
	public static SafetensorsWeightSource open(Path path) throws IOException {
		String n = path.getFileName().toString();
		if (n.endsWith(".json")) return openSharded(path);
		SafetensorsFile f = SafetensorsFile.open(path);
		Map<String, Where> keys = new LinkedHashMap<>();
		try {
			for (String name : f.names()) add(keys, f, name, path);
		}
		catch (IOException | RuntimeException e) {
			f.close();
			throw e;
		}
		return new SafetensorsWeightSource(path.toString(), List.of(f), Collections.unmodifiableMap(keys));
	}

	/**
	 * Opens several plain {@code .safetensors} files as one source (e.g. shards that come without an index). A
	 * tensor found in two of the files is an error naming both.
	 */
	public static SafetensorsWeightSource openFiles(Path... paths) throws IOException {
		if (paths.length == 0) throw new IllegalArgumentException("no weight files given");
		String description = paths.length == 1 ? paths[0].toString() : List.of(paths).toString();
		List<SafetensorsFile> files = new ArrayList<>();
		Map<String, Where> keys = new LinkedHashMap<>();
		try {
			for (Path p : paths) {
				SafetensorsFile f = SafetensorsFile.open(p);
				files.add(f);
				for (String name : f.names()) add(keys, f, name, description);
			}
		}
		catch (IOException | RuntimeException e) {
			for (SafetensorsFile f : files) f.close();
			throw e;
		}
		return new SafetensorsWeightSource(description, files, Collections.unmodifiableMap(keys));
	}

	/**
	 * Opens the weights of one diffusers component folder ({@code unet/}, {@code vae/}, {@code text_encoder/}),
	 * choosing the file exactly as {@link ModelLoader} does: the plain file or its sharded index, else a variant
	 * (fp16, ...); pickles are refused. The note {@link ModelLoader} would log for a fallback is dropped.
	 */
	public static SafetensorsWeightSource openFolder(Path dir) throws IOException {
		if (!Files.isDirectory(dir)) throw new ModelLoadException(dir + ": no such component folder");
		return open(ModelLoader.findWeights(dir, null, new ArrayList<>()));
	}

	private static void add(Map<String, Where> keys, SafetensorsFile f, String name, Object where)
		throws ModelLoadException
	{
		if (LdmKeyMap.isIgnorableDiffusersKey(name)) return;
		String key = LdmKeyMap.modernDiffusersVaeKey(name);
		Where prev = keys.put(key, new Where(f, name));
		if (prev == null) return;
		if (prev.file() != f) throw new ModelLoadException(where + ": tensor '" + key + "' is in both " +
			prev.file().path() + " and " + f.path());
		throw new ModelLoadException(where + ": tensor '" + key + "' appears twice");
	}

	private static SafetensorsWeightSource openSharded(Path index) throws IOException {
		JsonObject weightMap;
		try {
			JsonElement root = JsonParser.parseString(Files.readString(index));
			weightMap = root.getAsJsonObject().getAsJsonObject("weight_map");
		}
		catch (RuntimeException e) {
			throw new ModelLoadException(index + ": not a valid sharded-weights index (" + e.getMessage() + ")");
		}
		if (weightMap == null) throw new ModelLoadException(index + ": sharded-weights index has no 'weight_map'");
		Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
		Map<String, Where> keys = new LinkedHashMap<>();
		try {
			for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
				String shard = e.getValue().getAsString();
				if (shard.contains("/") || shard.contains("\\") || shard.startsWith("."))
					throw new ModelLoadException(index + ": shard '" + shard + "' lies outside the component folder");
				Path p = index.resolveSibling(shard);
				if (!Files.isRegularFile(p)) throw new ModelLoadException(index + ": shard '" + shard +
					"' (listed for '" + e.getKey() + "') is missing from " + index.getParent());
				SafetensorsFile f = shards.get(shard);
				if (f == null) {
					f = SafetensorsFile.open(p);
					shards.put(shard, f);
				}
				if (!f.contains(e.getKey())) throw new ModelLoadException(index + ": tensor '" + e.getKey() +
					"' is listed in shard '" + shard + "' but that file does not contain it");
				add(keys, f, e.getKey(), index);
			}
		}
		catch (IOException | RuntimeException e) {
			for (SafetensorsFile f : shards.values()) f.close();
			throw e;
		}
		return new SafetensorsWeightSource(index.toString(), new ArrayList<>(shards.values()),
			Collections.unmodifiableMap(keys));
	}

	@Override
	public Set<String> keys() {
		return keys.keySet();
	}

	private Where where(String key) throws IOException {
		Where w = keys.get(key);
		if (w == null) throw new IOException(description + ": no tensor named '" + key + "'");
		return w;
	}

	@Override
	public long[] shape(String key) throws IOException {
		Where w = where(key);
		return w.file().info(w.name()).shape().clone();
	}

	@Override
	public NDArray load(String key, NDManager manager, DataType dtype) throws IOException {
		Where w = where(key);
		return w.file().load(w.name(), manager, dtype);
	}

	@Override
	public String describe() {
		return description;
	}

	@Override
	public void close() throws IOException {
		IOException first = null;
		for (SafetensorsFile f : files) {
			try {
				f.close();
			}
			catch (IOException e) {
				if (first == null) first = e;
			}
		}
		if (first != null) throw first;
	}
}
