package io.github.diffusej.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;
import io.github.diffusej.io.StrictJson;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads diffusers/transformers {@code config.json} files into config records.
 *
 * <p>Before Gson sees a config, every key a record maps is checked against the record component's type, so a
 * wrong JSON type gives {@code "<file>: cross_attention_dim must be an integer, found \"abc\""} rather than a
 * Java exception text. The records' compact constructors then check ranges (layers, channels, heads, groups
 * that must divide channels, ...) and name the key; {@link #parse(JsonObject, Class, String)} puts the file in
 * front. Nothing is allocated from a config before it has passed both.
 */
public final class Configs {

	private static final Gson GSON = new GsonBuilder().create();
	private static final System.Logger LOG = System.getLogger("io.github.diffusej.model");

	private Configs() {}

	/**
	 * Parses {@code file} as {@code type}; errors name the file. Keys the record does not map are logged as a
	 * warning (see {@link #unknownKeys}), except {@code _}-prefixed bookkeeping keys and {@code ignorable} ones.
	 */
	public static <T> T read(Path file, Class<T> type, Set<String> ignorable) throws IOException {
		JsonObject json = readObject(file);
		try {
			T t = parse(json, type, file.toString());
			List<String> unknown = unknownKeys(json, type, ignorable);
			if (!unknown.isEmpty()) LOG.log(System.Logger.Level.WARNING, "{0}: keys not used by this port: {1}", file,
				unknown);
			return t;
		}
		catch (IllegalArgumentException e) {
			throw new IOException(e.getMessage(), e);
		}
	}

	/**
	 * A config file as a JSON object, read as Python's {@code json} module writes it: strict JSON plus
	 * {@code NaN}/{@code Infinity}, nesting bounded; errors name the file.
	 */
	public static JsonObject readObject(Path file) throws IOException {
		String text;
		try {
			text = Files.readString(file, StandardCharsets.UTF_8);
		}
		catch (java.nio.charset.MalformedInputException e) {
			throw new IOException(file + ": not valid UTF-8", e);
		}
		return parseObject(text, file.toString());
	}

	/** {@link #readObject(Path)} for text already read; {@code origin} is named in errors. */
	public static JsonObject parseObject(String text, String origin) throws IOException {
		JsonElement root;
		try {
			root = StrictJson.parse(text, StrictJson.Dialect.PYTHON, 32, 10_000_000);
		}
		catch (StrictJson.JsonError e) {
			throw new IOException(origin + ": " + e.getMessage(), e);
		}
		if (!root.isJsonObject()) throw new IOException(origin + ": expected a JSON object at the top level");
		return root.getAsJsonObject();
	}

	/** The top-level keys of {@code json} that no {@code @SerializedName} component of the record maps. */
	public static List<String> unknownKeys(String json, Class<?> type, Set<String> ignorable) throws IOException {
		return unknownKeys(parseObject(json, type.getSimpleName()), type, ignorable);
	}

	/** The top-level keys of {@code json} that no {@code @SerializedName} component of the record maps. */
	public static List<String> unknownKeys(JsonObject json, Class<?> type, Set<String> ignorable) {
		Set<String> known = new HashSet<>(ignorable);
		if (type.isRecord()) {
			for (RecordComponent c : type.getRecordComponents()) known.add(key(type, c));
		}
		List<String> out = new ArrayList<>();
		for (String k : json.keySet()) {
			if (!k.startsWith("_") && !known.contains(k)) out.add(k);
		}
		Collections.sort(out);
		return out;
	}

	private static String key(Class<?> type, RecordComponent c) {
		SerializedName n = c.getAnnotation(SerializedName.class);
		if (n == null) n = fieldAnnotation(type, c.getName());
		return n == null ? c.getName() : n.value();
	}

	private static SerializedName fieldAnnotation(Class<?> type, String name) {
		try {
			return type.getDeclaredField(name).getAnnotation(SerializedName.class);
		}
		catch (NoSuchFieldException e) {
			return null;
		}
	}

	/**
	 * Parses a JSON string; errors carry no file name (see {@link #parse(JsonObject, Class, String)}). A config
	 * record's own validation error comes out as that {@link IllegalArgumentException}.
	 */
	public static <T> T parse(String json, Class<T> type) {
		JsonObject o;
		try {
			o = parseObject(json, type.getSimpleName());
		}
		catch (IOException e) {
			throw new IllegalArgumentException(e.getMessage(), e);
		}
		return parse(o, type, null);
	}

	/**
	 * Parses a config object as {@code type}: JSON types are checked key by key, then the record's compact
	 * constructor checks ranges. Every error is an {@link IllegalArgumentException} whose message starts with
	 * {@code origin} (a file path, or {@code null} for none) and names the key.
	 */
	public static <T> T parse(JsonObject json, Class<T> type, String origin) {
		String prefix = origin == null ? "" : origin + ": ";
		if (type.isRecord()) {
			for (RecordComponent c : type.getRecordComponents()) {
				String k = key(type, c);
				JsonElement v = json.get(k);
				if (v == null || v.isJsonNull()) continue;
				String problem = typeProblem(c.getGenericType(), v);
				if (problem != null) throw new IllegalArgumentException(prefix + k + " must be " + problem + ", found " +
					shorten(v));
			}
		}
		try {
			T t = GSON.fromJson(json, type);
			if (t == null) throw new IllegalArgumentException(prefix + "empty config");
			return t;
		}
		catch (RuntimeException e) {
			for (Throwable c = e; c != null; c = c.getCause()) {
				if (c instanceof IllegalArgumentException iae && !(c instanceof NumberFormatException))
					throw new IllegalArgumentException(prefix + iae.getMessage(), iae);
			}
			throw new IllegalArgumentException(prefix + type.getSimpleName() + ": " + e.getMessage(), e);
		}
	}

	/** What {@code v} should have been for a component of type {@code t}, or null when it fits. */
	private static String typeProblem(Type t, JsonElement v) {
		if (t == Integer.class) return isInt(v) ? null : "an integer";
		if (t == Double.class) return isNumber(v) ? null : "a number";
		if (t == Boolean.class) return v.isJsonPrimitive() && v.getAsJsonPrimitive().isBoolean() ? null : "true or false";
		if (t == String.class) return v.isJsonPrimitive() && v.getAsJsonPrimitive().isString() ? null : "a string";
		if (t == IntOrList.class) {
			if (isInt(v)) return null;
			return v.isJsonArray() && all(v.getAsJsonArray(), Configs::isInt) ? null : "an integer or a list of integers";
		}
		if (t instanceof ParameterizedType p && p.getRawType() == List.class) {
			Type e = p.getActualTypeArguments()[0];
			if (!v.isJsonArray()) return e == String.class ? "a list of strings" : "a list of integers";
			if (e == String.class) return all(v.getAsJsonArray(), x -> x.isJsonPrimitive() && x.getAsJsonPrimitive()
				.isString()) ? null : "a list of strings";
			if (e == Integer.class) return all(v.getAsJsonArray(), Configs::isInt) ? null : "a list of integers";
		}
		return null; // JsonElement and others: the record checks them itself
	}

	private static boolean all(JsonArray a, java.util.function.Predicate<JsonElement> p) {
		for (JsonElement x : a) if (x == null || !p.test(x)) return false;
		return true;
	}

	private static boolean isNumber(JsonElement v) {
		return v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber();
	}

	/** A JSON number that is an integer within int range ({@code 4}, {@code 4.0}; not {@code 4.5} or {@code 1e10}). */
	static boolean isInt(JsonElement v) {
		if (!(v instanceof JsonPrimitive p) || !p.isNumber()) return false;
		Number n = p.getAsNumber();
		if (n instanceof Double d) return false; // NaN or Infinity
		try {
			BigDecimal b = p.getAsBigDecimal();
			b.intValueExact();
			return b.stripTrailingZeros().scale() <= 0;
		}
		catch (ArithmeticException | NumberFormatException e) {
			return false;
		}
	}

	private static String shorten(JsonElement v) {
		String s = v.toString();
		return s.length() > 80 ? s.substring(0, 77) + "..." : s;
	}

	// ---------------------------------------------------------------------------------------------------------
	// range checks shared by the config records

	/** {@code v} within {@code [min, max]}, else an error naming the key and the range. */
	public static int checkRange(String key, int v, int min, int max) {
		if (v < min || v > max) throw new IllegalArgumentException(key + " must be " + (max == Integer.MAX_VALUE ?
			"at least " + min : "in " + min + ".." + max) + ", found " + v);
		return v;
	}

	/** Each value within {@code [min, max]}; the message names the key and the block. */
	public static void checkEach(String key, List<Integer> v, int min, int max) {
		for (int i = 0; i < v.size(); i++) checkRange(key + "[" + i + "]", v.get(i), min, max);
	}

	/** Each value within {@code [min, max]}; the message names the key and the block. */
	public static void checkEach(String key, int[] v, int min, int max) {
		for (int i = 0; i < v.length; i++) checkRange(v.length == 1 ? key : key + "[" + i + "]", v[i], min, max);
	}

	/** A finite number greater than 0. */
	public static double checkPositive(String key, double v) {
		if (!Double.isFinite(v) || v <= 0) throw new IllegalArgumentException(key + " must be a finite number > 0, found "
			+ v);
		return v;
	}

	/** GroupNorm needs channels divisible by the groups; checked for every block's channels. */
	public static void checkGroups(String groupsKey, int groups, String channelsKey, List<Integer> channels) {
		checkRange(groupsKey, groups, 1, Integer.MAX_VALUE);
		for (int i = 0; i < channels.size(); i++)
			if (channels.get(i) % groups != 0) throw new IllegalArgumentException(groupsKey + " " + groups + " does not "
				+ "divide " + channelsKey + "[" + i + "] = " + channels.get(i) + " (GroupNorm needs channels divisible by "
				+ "the groups)");
	}
}
