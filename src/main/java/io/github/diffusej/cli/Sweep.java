package io.github.diffusej.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep: a grid over a subcommand's options, read from a JSON object whose keys are option names (with or
 * without the leading {@code --}) and whose values are a list of values or one value for every combination:
 *
 * <pre>
 * {"rank": [4, 8, 16], "learning-rate": ["1e-4", "3e-4"], "steps": 2000}
 * </pre>
 *
 * gives 3 x 2 = 6 combinations. Combinations are numbered from 0 like nested loops in the file's order (the last
 * key varies fastest), so {@code --index N} picks one, as a SLURM array task does with
 * {@code --index $SLURM_ARRAY_TASK_ID}. Keys starting with {@code #} are comments.
 *
 * @param file where the sweep was read from (named in every message)
 * @param axes option name (without {@code --}) to its values, in file order
 */
record Sweep(Path file, Map<String, List<String>> axes) {

	/** More combinations than this are refused: a sweep is a job array, not a search. */
	static final int MAX_COMBINATIONS = 100_000;

	Sweep {
		axes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(axes));
	}

	/** Reads and checks a sweep file; a bad file is a {@link CliException#badInput} naming it. */
	static Sweep read(Path file) {
		if (!Files.isRegularFile(file)) throw CliException.usage("--sweep " + file + ": no such file");
		JsonElement root;
		try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
			// strict JSON: the adapter reads with the reader's own (non-lenient) setting, unlike JsonParser
			JsonReader jr = new JsonReader(r);
			jr.setLenient(false);
			root = new com.google.gson.Gson().getAdapter(JsonElement.class).read(jr);
			if (jr.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) throw new JsonParseException(
				"text after the JSON object");
		}
		catch (IOException | JsonParseException | IllegalStateException e) {
			throw CliException.badInput(file + ": not a valid JSON sweep (" + Main.describe(e) + ")");
		}
		if (!root.isJsonObject()) throw CliException.badInput(file + ": a sweep is a JSON object such as " +
			"{\"seed\": [1, 2], \"guidance\": [5, 7.5]}");
		Map<String, List<String>> axes = new LinkedHashMap<>();
		JsonObject o = root.getAsJsonObject();
		for (Map.Entry<String, JsonElement> e : o.entrySet()) {
			String key = e.getKey().startsWith("--") ? e.getKey().substring(2) : e.getKey();
			if (key.startsWith("#")) continue;
			if (key.isBlank()) throw CliException.badInput(file + ": an empty option name");
			if (axes.containsKey(key)) throw CliException.badInput(file + ": '" + key + "' is given twice");
			List<String> values = new ArrayList<>();
			JsonElement v = e.getValue();
			if (v.isJsonArray()) {
				for (JsonElement x : v.getAsJsonArray()) values.add(scalar(file, key, x));
				if (values.isEmpty()) throw CliException.badInput(file + ": '" + key + "' has an empty list of values");
			}
			else values.add(scalar(file, key, v));
			axes.put(key, values);
		}
		if (axes.isEmpty()) throw CliException.badInput(file + ": the sweep names no options");
		long n = 1;
		for (List<String> values : axes.values()) {
			n *= values.size();
			if (n > MAX_COMBINATIONS) throw CliException.badInput(file + ": more than " + MAX_COMBINATIONS +
				" combinations");
		}
		return new Sweep(file, axes);
	}

	private static String scalar(Path file, String key, JsonElement x) {
		if (!x.isJsonPrimitive()) throw CliException.badInput(file + ": the values of '" + key +
			"' must be numbers, strings or true/false, not " + x);
		JsonPrimitive p = x.getAsJsonPrimitive();
		return p.getAsString();
	}

	/** The number of combinations. */
	int size() {
		int n = 1;
		for (List<String> values : axes.values()) n *= values.size();
		return n;
	}

	/** Combination {@code index} (0-based): option name to value, in file order. */
	Map<String, String> combination(int index) {
		if (index < 0 || index >= size()) throw CliException.usage("--index " + index + " is out of range: " + file +
			" has " + size() + " combination" + (size() == 1 ? "" : "s") + " (0-" + (size() - 1) + ")");
		Map<String, String> out = new LinkedHashMap<>();
		int rest = index;
		List<String> keys = new ArrayList<>(axes.keySet());
		int[] pick = new int[keys.size()];
		for (int k = keys.size() - 1; k >= 0; k--) {
			int n = axes.get(keys.get(k)).size();
			pick[k] = rest % n;
			rest /= n;
		}
		for (int k = 0; k < keys.size(); k++) out.put(keys.get(k), axes.get(keys.get(k)).get(pick[k]));
		return out;
	}

	/** Replaces {@code {index}} and {@code {key}} of the combination in an argument (e.g. an output folder). */
	static String substitute(String arg, int index, Map<String, String> combination) {
		String s = arg.replace("{index}", Integer.toString(index));
		for (Map.Entry<String, String> e : combination.entrySet()) s = s.replace("{" + e.getKey() + "}", e.getValue());
		return s;
	}
}
