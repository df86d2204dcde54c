package io.github.diffusej.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads diffusers/transformers {@code config.json} files into config records. */
public final class Configs {

	private static final Gson GSON = new GsonBuilder().create();
	private static final System.Logger LOG = System.getLogger("io.github.diffusej.model");

	private Configs() {}

	/**
	 * Parses {@code file} as {@code type}; errors name the file. Keys the record does not map are logged as a
	 * warning (see {@link #unknownKeys}), except {@code _}-prefixed bookkeeping keys and {@code ignorable} ones.
	 */
	public static <T> T read(Path file, Class<T> type, Set<String> ignorable) throws IOException {
		String json = Files.readString(file, StandardCharsets.UTF_8);
		try {
			T t = parse(json, type);
			if (t == null) throw new IOException(file + " is empty");
			List<String> unknown = unknownKeys(json, type, ignorable);
			if (!unknown.isEmpty()) LOG.log(System.Logger.Level.WARNING, "{0}: keys not used by this port: {1}", file,
				unknown);
			return t;
		}
		catch (IllegalArgumentException e) {
			throw new IOException("invalid " + type.getSimpleName() + " in " + file + ": " + e.getMessage(), e);
		}
	}

	/** The top-level keys of {@code json} that no {@code @SerializedName} component of the record maps. */
	public static List<String> unknownKeys(String json, Class<?> type, Set<String> ignorable) {
		Set<String> known = new HashSet<>(ignorable);
		if (type.isRecord()) {
			for (RecordComponent c : type.getRecordComponents()) {
				SerializedName n = c.getAnnotation(SerializedName.class);
				if (n == null) n = fieldAnnotation(type, c.getName());
				known.add(n == null ? c.getName() : n.value());
			}
		}
		List<String> out = new ArrayList<>();
		for (String k : JsonParser.parseString(json).getAsJsonObject().keySet()) {
			if (!k.startsWith("_") && !known.contains(k)) out.add(k);
		}
		Collections.sort(out);
		return out;
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
	 * Parses a JSON string. A config record's own validation error (thrown from its compact constructor and
	 * wrapped by Gson) comes out as that {@link IllegalArgumentException}.
	 */
	public static <T> T parse(String json, Class<T> type) {
		try {
			return GSON.fromJson(json, type);
		}
		catch (RuntimeException e) {
			for (Throwable c = e; c != null; c = c.getCause()) {
				if (c instanceof IllegalArgumentException iae && !(c instanceof NumberFormatException)) throw iae;
			}
			throw new IllegalArgumentException(type.getSimpleName() + ": " + e.getMessage(), e);
		}
	}
}
