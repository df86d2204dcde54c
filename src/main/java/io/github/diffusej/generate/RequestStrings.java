package io.github.diffusej.generate;

import io.github.diffusej.schedule.PredictionType;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The text forms of generation settings shared by the Fiji commands, their macros and the command line. Every
 * parser fails with an {@link IllegalArgumentException} whose message names the offending entry.
 *
 * <ul>
 * <li>LoRAs: {@code path:weight;path2:weight} (weight optional, default 1; e.g.
 * {@code /models/cells.safetensors:0.8;/models/style.safetensors});</li>
 * <li>embeddings: {@code path[:token];...} (token optional: the file's own token or its name);</li>
 * <li>weights: {@code 0,0.5,1};</li>
 * <li>prompts of a grid: {@code a cell|two cells|a dividing cell}.</li>
 * </ul>
 * A colon followed by text without a path separator ends the path; so Windows paths ({@code C:\models\x.safetensors})
 * need no quoting.
 */
public final class RequestStrings {

	private RequestStrings() {}

	/** Parses {@code path:weight;path2:weight}; the files must exist and weights must be finite numbers. */
	public static List<GenerationRequest.LoraRef> loras(String spec) {
		List<GenerationRequest.LoraRef> out = new ArrayList<>();
		for (String entry : entries(spec)) {
			String[] pw = splitSuffix(entry);
			double weight = 1;
			if (pw[1] != null) weight = number(pw[1], "weight of LoRA '" + pw[0] + "'");
			Path file = existing(pw[0], "LoRA");
			out.add(new GenerationRequest.LoraRef(file, weight));
		}
		return out;
	}

	/** Parses {@code path[:token];...}; the files must exist. */
	public static List<GenerationRequest.EmbeddingRef> embeddings(String spec) {
		List<GenerationRequest.EmbeddingRef> out = new ArrayList<>();
		for (String entry : entries(spec)) {
			String[] pt = splitSuffix(entry);
			out.add(new GenerationRequest.EmbeddingRef(existing(pt[0], "embedding"), pt[1]));
		}
		return out;
	}

	/** Parses a list of finite numbers separated by commas, semicolons or spaces ({@code 0,0.5,1}). */
	public static double[] weights(String spec) {
		if (spec == null || spec.isBlank()) throw new IllegalArgumentException("no weights given: write e.g. 0,0.5,1");
		String[] parts = spec.trim().split("[,;\\s]+");
		double[] w = new double[parts.length];
		for (int i = 0; i < parts.length; i++) w[i] = number(parts[i], "weight " + (i + 1) + " of '" + spec.trim() + "'");
		return w;
	}

	/** The prompts of a prompt grid: {@code prompt} split at '|', trimmed; empty parts are refused. */
	public static List<String> prompts(String prompt) {
		if (prompt == null || prompt.isBlank()) throw new IllegalArgumentException(
			"no prompts given: separate the prompts of a grid with '|', e.g. a cell|two cells");
		List<String> out = new ArrayList<>();
		for (String p : prompt.split("\\|", -1)) {
			if (p.isBlank()) throw new IllegalArgumentException("empty prompt in '" + prompt + "': remove the extra '|'");
			out.add(p.strip());
		}
		return out;
	}

	/** {@code chunk} or {@code truncate} (case-insensitive). */
	public static PromptChunks.LongPrompts longPrompts(String s) {
		if (s == null || s.isBlank()) return PromptChunks.LongPrompts.CHUNK;
		try {
			return PromptChunks.LongPrompts.valueOf(s.trim().toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("long prompts must be 'chunk' or 'truncate', not '" + s + "'");
		}
	}

	/**
	 * The seed itself, or a random 32-bit seed (as A1111 draws them) for {@code -1}. Other negative numbers are
	 * refused: they are typos more often than wishes for randomness.
	 */
	public static long seed(long seed) {
		if (seed == -1) return ThreadLocalRandom.current().nextLong(1L << 32);
		if (seed < 0) throw new IllegalArgumentException("seed must be 0 or more, or -1 for a random seed, not " + seed);
		return seed;
	}

	/**
	 * A prediction type: {@code epsilon}, {@code v_prediction} (also {@code v}, {@code v-prediction}), or null,
	 * blank or {@code auto} for the model's own.
	 */
	public static PredictionType predictionType(String s) {
		if (s == null || s.isBlank()) return null;
		String t = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
		if (t.startsWith("auto")) return null;
		if (t.equals("v")) return PredictionType.V_PREDICTION;
		try {
			return PredictionType.of(t);
		}
		catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("prediction type must be epsilon, v_prediction or auto (the model's own), "
				+ "not '" + s + "'");
		}
	}

	/**
	 * A model chosen in a file dialog: the folder itself, a {@code .safetensors} file, or a file directly inside
	 * a diffusers folder (e.g. {@code model_index.json}), which stands for its folder.
	 */
	public static Path model(File chosen) {
		if (chosen == null || chosen.getPath().isBlank()) throw new IllegalArgumentException("no model given: choose a diffusers folder or a .safetensors file");
		Path p = chosen.toPath();
		Path parent = p.toAbsolutePath().getParent();
		if (Files.isRegularFile(p) && !p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")
			&& parent != null && Files.isRegularFile(parent.resolve("model_index.json"))) return parent;
		return p;
	}

	/** An optional file or folder: null for null or an empty path (a macro's {@code output_dir=[]}). */
	public static Path optional(File f) {
		return f == null || f.getPath().isBlank() ? null : f.toPath();
	}

	/** Entries separated by ';' or new lines, trimmed, empty ones skipped. */
	static List<String> entries(String spec) {
		List<String> out = new ArrayList<>();
		if (spec == null) return out;
		for (String e : spec.split("[;\\n\\r]+")) if (!e.isBlank()) out.add(e.strip());
		return out;
	}

	/**
	 * {@code path:suffix} -> {path, suffix}; {path, null} when there is no colon, or when the text after the last
	 * colon holds a path separator or the colon is a drive letter's ({@code C:\...}).
	 */
	static String[] splitSuffix(String entry) {
		int colon = entry.lastIndexOf(':');
		if (colon <= 1) return new String[] {entry, null};
		String suffix = entry.substring(colon + 1).strip();
		if (suffix.contains("/") || suffix.contains("\\")) return new String[] {entry, null};
		if (suffix.isEmpty()) throw new IllegalArgumentException("'" + entry + "' ends with ':' but nothing follows it");
		return new String[] {entry.substring(0, colon).strip(), suffix};
	}

	private static double number(String s, String what) {
		double d;
		try {
			d = Double.parseDouble(s.trim());
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException(what + " is '" + s + "', not a number");
		}
		if (!Double.isFinite(d)) throw new IllegalArgumentException(what + " is " + s + ", not a finite number");
		return d;
	}

	private static Path existing(String path, String what) {
		Path p = Path.of(path);
		if (Files.isDirectory(p)) throw new IllegalArgumentException(what + " must be a .safetensors file, but " +
			p.toAbsolutePath() + " is a folder");
		if (!Files.isRegularFile(p)) throw new IllegalArgumentException(what + " file not found: " + p.toAbsolutePath());
		return p;
	}
}
