package io.github.diffusej.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A {@link WeightSource} over one or more {@code .safetensors} files in diffusers/transformers naming (a
 * diffusers component folder, possibly sharded). Keys must be unique across the files.
 */
public final class SafetensorsWeights implements WeightSource {

	private final List<SafetensorsFile> files;
	private final Map<String, SafetensorsFile> byKey = new LinkedHashMap<>();
	private final String description;

	private SafetensorsWeights(List<SafetensorsFile> files, String description) throws IOException {
		this.files = files;
		this.description = description;
		for (SafetensorsFile f : files) {
			for (String k : f.names()) {
				SafetensorsFile prev = byKey.put(k, f);
				if (prev != null) {
					close();
					throw new IOException("tensor '" + k + "' is in both " + prev.path() + " and " + f.path());
				}
			}
		}
	}

	/** Opens the given files. */
	public static SafetensorsWeights open(Path... paths) throws IOException {
		List<SafetensorsFile> fs = new ArrayList<>();
		try {
			for (Path p : paths) fs.add(SafetensorsFile.open(p));
		}
		catch (IOException e) {
			for (SafetensorsFile f : fs) f.close();
			throw e;
		}
		return new SafetensorsWeights(fs, paths.length == 1 ? paths[0].toString() : List.of(paths).toString());
	}

	/**
	 * Opens the weights of a diffusers component folder ({@code unet/}, {@code vae/}, {@code text_encoder/}):
	 * {@code diffusion_pytorch_model.safetensors} or {@code model.safetensors}, else every non-variant shard
	 * ({@code *-00001-of-00002.safetensors}), else the fp16 variant.
	 */
	public static SafetensorsWeights openFolder(Path dir) throws IOException {
		for (String n : new String[] {"diffusion_pytorch_model.safetensors", "model.safetensors"}) {
			if (Files.isRegularFile(dir.resolve(n))) return open(dir.resolve(n));
		}
		List<Path> all;
		try (Stream<Path> s = Files.list(dir)) {
			all = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
		}
		catch (IOException e) {
			throw new IOException("cannot list weight folder " + dir + ": " + e.getMessage(), e);
		}
		List<Path> plain = all.stream().filter(p -> !p.getFileName().toString().contains(".fp16.")).toList();
		List<Path> chosen = plain.isEmpty() ? all : plain;
		if (chosen.isEmpty()) throw new IOException("no .safetensors weights in " + dir);
		return open(chosen.toArray(Path[]::new));
	}

	@Override
	public Set<String> keys() {
		return Collections.unmodifiableSet(byKey.keySet());
	}

	@Override
	public long[] shape(String key) throws IOException {
		return file(key).info(key).shape().clone();
	}

	@Override
	public NDArray load(String key, NDManager manager, DataType dtype) throws IOException {
		return file(key).load(key, manager, dtype);
	}

	private SafetensorsFile file(String key) throws IOException {
		SafetensorsFile f = byKey.get(key);
		if (f == null) throw new IOException("no tensor '" + key + "' in " + description);
		return f;
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
