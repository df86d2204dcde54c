package io.github.diffusej.model.ldm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.model.loader.Component;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Reads the golden key/shape manifests ({@code ../shared/golden/manifests}, README section 7). */
final class TestManifests {

	private TestManifests() {}

	static Path dir() {
		return Golden.dir().resolve("manifests");
	}

	static JsonObject json(Path p) throws IOException {
		return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
	}

	static long[] shape(JsonElement entry) {
		var a = entry.getAsJsonObject().getAsJsonArray("shape");
		long[] s = new long[a.size()];
		for (int i = 0; i < s.length; i++) s[i] = a.get(i).getAsLong();
		return s;
	}

	/** A flat {@code *_ldm_manifest_*.json}: LDM name -> shape, in file order. */
	static Map<String, long[]> ldm(String file) throws IOException {
		Map<String, long[]> out = new LinkedHashMap<>();
		for (var e : json(dir().resolve(file)).entrySet()) out.put(e.getKey(), shape(e.getValue()));
		return out;
	}

	/** A {@code *_diffusers_manifest.json}: component -> name -> shape. */
	static Map<Component, Map<String, long[]>> diffusers(String model) throws IOException {
		JsonObject o = json(dir().resolve(model + "_diffusers_manifest.json"));
		Map<Component, Map<String, long[]>> out = new EnumMap<>(Component.class);
		for (Component c : Component.values()) {
			Map<String, long[]> m = new LinkedHashMap<>();
			for (var e : o.getAsJsonObject(c.folder).entrySet()) m.put(e.getKey(), shape(e.getValue()));
			out.put(c, m);
		}
		return out;
	}

	static JsonObject config(String model, Component c) throws IOException {
		return json(dir().resolve("configs").resolve(model).resolve(c.folder).resolve("config.json"));
	}

	/** Name -> shape as sorted strings, for assertEquals with a readable diff. */
	static Map<String, String> printable(Map<String, long[]> m) {
		Map<String, String> out = new TreeMap<>();
		m.forEach((k, v) -> out.put(k, Arrays.toString(v)));
		return out;
	}
}
