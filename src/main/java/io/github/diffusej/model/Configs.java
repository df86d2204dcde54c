package io.github.diffusej.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads diffusers/transformers {@code config.json} files into config records. */
public final class Configs {

	private static final Gson GSON = new GsonBuilder().create();

	private Configs() {}

	/** Parses {@code file} as {@code type}; errors name the file. */
	public static <T> T read(Path file, Class<T> type) throws IOException {
		String json = Files.readString(file, StandardCharsets.UTF_8);
		try {
			T t = parse(json, type);
			if (t == null) throw new IOException(file + " is empty");
			return t;
		}
		catch (IllegalArgumentException e) {
			throw new IOException("invalid " + type.getSimpleName() + " in " + file + ": " + e.getMessage(), e);
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
