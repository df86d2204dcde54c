package io.github.diffusej.export;

import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.io.TensorInfo;
import io.github.diffusej.model.Embedding;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes textual-inversion embeddings in the layouts the ecosystem uses:
 * {@code {"emb_params": [n, D]}} (A1111, InvokeAI, ComfyUI) and diffusers' {@code {"<token>": [n, D]}}.
 * The trigger is the file's own token (diffusers layout) or, for {@code emb_params}, the file name without
 * extension (what A1111 does); a caller may override it.
 */
public final class EmbeddingFile {

	/** The two layouts we write. */
	public enum Layout {
		/** {@code emb_params}: A1111/InvokeAI/ComfyUI; trigger = file name. */
		EMB_PARAMS,
		/** {@code {token: tensor}}: diffusers {@code load_textual_inversion}; trigger stored in the file. */
		DIFFUSERS
	}

	private EmbeddingFile() {}

	public static Embedding read(Path file) throws IOException {
		return read(file, null);
	}

	/**
	 * Reads an embedding; {@code token} overrides the trigger word (null: from the file). Pickled formats
	 * ({@code .pt}, {@code .bin}, {@code .ckpt}) are refused: loading them could run code.
	 */
	public static Embedding read(Path file, String token) throws IOException {
		String name = file.getFileName().toString();
		String lower = name.toLowerCase(Locale.ROOT);
		if (lower.endsWith(".pt") || lower.endsWith(".bin") || lower.endsWith(".ckpt") || lower.endsWith(".pth"))
			throw new SafetensorsException(file, "is a Python pickle; DiffuseJ never unpickles files because loading " +
				"them can run code. Convert it to .safetensors (e.g. with A1111's or InvokeAI's converter) first.");
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			Set<String> keys = f.names();
			if (keys.contains("clip_l") || keys.contains("clip_g")) throw new SafetensorsException(file,
				"is an SDXL embedding (clip_l/clip_g); SDXL is not supported yet");
			if (keys.size() != 1) throw new SafetensorsException(file,
				"is not a textual-inversion embedding: expected one tensor ('emb_params' or '<token>'), found " + keys);
			String key = keys.iterator().next();
			TensorInfo t = f.info(key);
			if (!t.dtype().isFloat()) throw new SafetensorsException(file, "embedding '" + key + "' has dtype " +
				t.dtype() + ", expected a float type");
			long[] s = t.shape();
			int n, dim;
			if (s.length == 1) {
				n = 1;
				dim = (int) s[0];
			}
			else if (s.length == 2) {
				n = (int) s[0];
				dim = (int) s[1];
			}
			else throw new SafetensorsException(file, "embedding '" + key + "' has shape " +
				java.util.Arrays.toString(s) + ", expected [n, D] or [D]");
			if (n < 1 || n > 75 || dim < 1) throw new SafetensorsException(file,
				"embedding '" + key + "' has " + n + " vectors of width " + dim + "; expected 1..75 vectors");
			float[] all = f.floats(key);
			checkValues(file, key, all, dim);
			float[][] vectors = new float[n][dim];
			for (int i = 0; i < n; i++) System.arraycopy(all, i * dim, vectors[i], 0, dim);
			String trigger = token != null ? token : key.equals("emb_params") || key.equals("*") ? stem(name) : key;
			try {
				return new Embedding(trigger, vectors, file.toString());
			}
			catch (IllegalArgumentException e) {
				throw new SafetensorsException(file, e.getMessage());
			}
		}
	}


	/**
	 * The largest magnitude accepted in an embedding or LoRA file. Trained values stay far below 1 (CLIP token
	 * embeddings have entries of about 0.01 to 0.1); a finite but huge value, as a damaged file holds, overflows the
	 * text encoder into NaN just as a NaN would.
	 */
	public static final float MAX_ABS = 1e4f;

	/** Every value finite and at most {@link #MAX_ABS} in magnitude; the message names the vector and element. */
	private static void checkValues(Path file, String key, float[] all, int dim) throws SafetensorsException {
		for (int i = 0; i < all.length; i++) {
			float x = all[i];
			if (!Float.isFinite(x)) throw new SafetensorsException(file, "embedding '" + key + "' contains NaN or " +
				"infinite values (vector " + i / dim + ", element " + i % dim + " is " + x + ")");
			if (Math.abs(x) > MAX_ABS) throw new SafetensorsException(file, "embedding '" + key + "' has the value " + x +
				" (vector " + i / dim + ", element " + i % dim + "), far beyond any trained embedding (|x| <= " + MAX_ABS +
				" accepted): the file is damaged");
		}
	}

	static String stem(String fileName) {
		int dot = fileName.lastIndexOf('.');
		return dot > 0 ? fileName.substring(0, dot) : fileName;
	}

	/**
	 * Writes an embedding atomically. {@code baseModel} is {@code stable-diffusion-v1} or {@code stable-diffusion-v2}
	 * for the ModelSpec metadata; {@code extra} metadata (training settings) is added as is.
	 */
	public static void write(Path file, Embedding e, Layout layout, String baseModel, Map<String, String> extra)
		throws IOException
	{
		int n = e.count(), dim = e.dim();
		float[] flat = new float[n * dim];
		for (int i = 0; i < n; i++) System.arraycopy(e.vectors()[i], 0, flat, i * dim, dim);
		Map<String, String> meta = new LinkedHashMap<>();
		meta.put("modelspec.sai_model_spec", "1.0.1");
		meta.put("modelspec.architecture", baseModel + "/textual-inversion");
		meta.put("modelspec.implementation", "https://github.com/diffusej/DiffuseJ");
		meta.put("modelspec.title", e.token());
		meta.put("modelspec.trigger_phrase", e.token());
		meta.put("modelspec.date", Instant.now().toString());
		if (extra != null) meta.putAll(extra);
		String key = layout == Layout.EMB_PARAMS ? "emb_params" : e.token();
		new SafetensorsWriter().metadata(meta).putFloats(key, new long[] {n, dim}, flat).write(file);
	}
}
