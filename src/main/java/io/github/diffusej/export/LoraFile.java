package io.github.diffusej.export;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads LoRA/DoRA files in kohya format ({@code lora_unet_<path>.lora_down.weight}, {@code .lora_up.weight},
 * {@code .alpha}, {@code .dora_scale}) and diffusers/PEFT format ({@code unet.<path>.lora_A.weight},
 * {@code .lora_B.weight}, {@code .lora_magnitude_vector}, alpha in {@code lora_adapter_metadata}); writes kohya
 * format, which InvokeAI, ComfyUI, A1111 and diffusers all load.
 */
public final class LoraFile {

	/** What was read: the layers and the file's metadata. */
	public record Contents(Path file, String format, List<LoraLayer> layers, Map<String, String> metadata) {}

	private static final String[] KOHYA_PREFIXES = {"lora_unet_", "lora_te_"};
	private static final String[] KOHYA_COMPONENTS = {"unet", "text_encoder"};

	private LoraFile() {}

	public static Contents read(Path file) throws IOException {
		String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
		if (lower.endsWith(".pt") || lower.endsWith(".bin") || lower.endsWith(".ckpt") || lower.endsWith(".pth"))
			throw new SafetensorsException(file, "is a Python pickle; DiffuseJ never unpickles files because loading " +
				"them can run code. Convert it to .safetensors first.");
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			Set<String> names = f.names();
			if (names.stream().anyMatch(n -> n.startsWith("lora_te1_") || n.startsWith("lora_te2_")))
				throw new SafetensorsException(file, "is an SDXL LoRA (lora_te1_/lora_te2_ keys); SDXL is not supported yet");
			if (names.stream().anyMatch(n -> n.endsWith(".lora_down.weight"))) return readKohya(f);
			if (names.stream().anyMatch(n -> n.endsWith(".lora_A.weight"))) return readPeft(f);
			throw new SafetensorsException(file, "is not a LoRA file: no '.lora_down.weight' (kohya) or " +
				"'.lora_A.weight' (diffusers/PEFT) tensors among " + names.size() + " keys" +
				(names.isEmpty() ? "" : ", e.g. '" + names.iterator().next() + "'"));
		}
	}

	private static Contents readKohya(SafetensorsFile f) throws IOException {
		List<LoraLayer> layers = new ArrayList<>();
		Set<String> used = new TreeSet<>();
		for (String n : f.names()) {
			if (!n.endsWith(".lora_down.weight")) continue;
			String stem = n.substring(0, n.length() - ".lora_down.weight".length());
			int c = -1;
			for (int i = 0; i < KOHYA_PREFIXES.length; i++)
				if (stem.startsWith(KOHYA_PREFIXES[i])) c = i;
			if (c < 0) throw new SafetensorsException(f.path(), "unknown LoRA key prefix in '" + n +
				"' (expected lora_unet_ or lora_te_)");
			String up = stem + ".lora_up.weight", alpha = stem + ".alpha", dora = stem + ".dora_scale";
			if (!f.contains(up)) throw new SafetensorsException(f.path(), "'" + n + "' has no matching '" + up + "'");
			float a = f.contains(alpha) ? f.floats(alpha)[0] : Float.NaN;
			layers.add(layer(f, KOHYA_COMPONENTS[c], stem.substring(KOHYA_PREFIXES[c].length()), n, up, a,
				f.contains(dora) ? dora : null));
			used.addAll(List.of(n, up, alpha, dora));
		}
		checkAllUsed(f, used);
		return new Contents(f.path(), "kohya", layers, f.metadata());
	}

	private static Contents readPeft(SafetensorsFile f) throws IOException {
		float alpha = Float.NaN;
		String meta = f.metadata().get("lora_adapter_metadata");
		if (meta != null) {
			try {
				JsonObject o = JsonParser.parseString(meta).getAsJsonObject();
				if (o.has("lora_alpha")) alpha = o.get("lora_alpha").getAsFloat();
			}
			catch (RuntimeException e) {
				throw new SafetensorsException(f.path(), "metadata 'lora_adapter_metadata' is not valid JSON: " + e.getMessage());
			}
		}
		List<LoraLayer> layers = new ArrayList<>();
		Set<String> used = new TreeSet<>();
		for (String n : f.names()) {
			if (!n.endsWith(".lora_A.weight")) continue;
			String stem = n.substring(0, n.length() - ".lora_A.weight".length());
			String path = stem.startsWith("base_model.model.") ? stem.substring("base_model.model.".length()) : stem;
			String component;
			if (path.startsWith("unet.")) component = "unet";
			else if (path.startsWith("text_encoder.")) component = "text_encoder";
			else throw new SafetensorsException(f.path(), "'" + n + "': expected a 'unet.' or 'text_encoder.' prefix");
			String up = stem + ".lora_B.weight", mag = stem + ".lora_magnitude_vector";
			if (!f.contains(up)) throw new SafetensorsException(f.path(), "'" + n + "' has no matching '" + up + "'");
			layers.add(layer(f, component, path.substring(component.length() + 1), n, up, alpha,
				f.contains(mag) ? mag : null));
			used.addAll(List.of(n, up, mag));
		}
		checkAllUsed(f, used);
		return new Contents(f.path(), "peft", layers, f.metadata());
	}

	private static LoraLayer layer(SafetensorsFile f, String component, String module, String down, String up,
		float alpha, String dora) throws IOException
	{
		long[] ds = f.info(down).shape(), us = f.info(up).shape();
		boolean shapesOk = (ds.length == 2 && us.length == 2 || ds.length == 4 && us.length == 4) && us[1] == ds[0];
		if (!shapesOk) throw new SafetensorsException(f.path(), "LoRA '" + module + "': down " + Arrays.toString(ds) +
			" and up " + Arrays.toString(us) + " do not form a rank-r product");
		float[] dv = f.floats(down), uv = f.floats(up);
		float[] dora_ = dora == null ? null : f.floats(dora);
		for (float[] v : new float[][] {dv, uv, dora_ == null ? new float[0] : dora_})
			for (float x : v)
				if (!Float.isFinite(x)) throw new SafetensorsException(f.path(),
					"LoRA '" + module + "' contains NaN or infinite values");
		return new LoraLayer(component, module, dv, ds, uv, us, alpha, dora_, dora == null ? null : f.info(dora).shape());
	}

	private static void checkAllUsed(SafetensorsFile f, Set<String> used) throws SafetensorsException {
		List<String> unknown = f.names().stream().filter(n -> !used.contains(n)).toList();
		if (!unknown.isEmpty()) throw new SafetensorsException(f.path(), "unknown LoRA keys " +
			(unknown.size() > 5 ? unknown.subList(0, 5) + " and " + (unknown.size() - 5) + " more" : unknown));
	}

	/**
	 * Maps each layer to a module of the model. kohya names flatten '.' to '_', so they are matched against the
	 * flattened names of the model's adaptable modules; a layer that matches nothing, or whose shape does not fit,
	 * is an error naming the file and the layer.
	 *
	 * @param modules per component, the adaptable module paths of the base model and their weight shapes
	 */
	public static List<LoraLayer> resolve(Contents lora, Map<String, Map<String, long[]>> modules)
		throws SafetensorsException
	{
		Map<String, Map<String, String>> flat = new HashMap<>();
		modules.forEach((comp, m) -> {
			Map<String, String> byFlat = new HashMap<>();
			for (String path : m.keySet()) byFlat.put(path.replace('.', '_'), path);
			flat.put(comp, byFlat);
		});
		List<LoraLayer> out = new ArrayList<>();
		List<String> problems = new ArrayList<>();
		for (LoraLayer l : lora.layers()) {
			Map<String, long[]> comp = modules.get(l.component());
			if (comp == null) {
				problems.add(l.module() + ": the model has no " + l.component());
				continue;
			}
			String path = comp.containsKey(l.module()) ? l.module() : flat.get(l.component()).get(l.module());
			if (path == null) {
				problems.add(l.component() + " has no layer '" + l.module() + "'");
				continue;
			}
			long[] w = comp.get(path);
			if (w[0] != l.outFeatures() || w[1] != l.inFeatures() || (l.isConv() != (w.length == 4))
				|| (l.isConv() && (w[2] != l.downShape()[2] || w[3] != l.downShape()[3])))
			{
				problems.add(path + ": LoRA " + Arrays.toString(l.upShape()) + " x " + Arrays.toString(l.downShape()) +
					" does not fit the weight " + Arrays.toString(w));
				continue;
			}
			out.add(l.withModule(path));
		}
		if (!problems.isEmpty()) throw new SafetensorsException(lora.file(), "does not fit this base model (" +
			problems.size() + " of " + lora.layers().size() + " layers): " +
			(problems.size() > 5 ? problems.subList(0, 5) + " ..." : problems));
		return out;
	}

	/** Writes layers (with resolved module paths) as a kohya file, atomically, with the given metadata. */
	public static void writeKohya(Path file, List<LoraLayer> layers, Map<String, String> metadata) throws IOException {
		SafetensorsWriter w = new SafetensorsWriter().metadata(metadata == null ? Map.of() : metadata);
		Map<String, String> prefix = new LinkedHashMap<>();
		prefix.put("unet", "lora_unet_");
		prefix.put("text_encoder", "lora_te_");
		for (LoraLayer l : layers) {
			String p = prefix.get(l.component());
			if (p == null) throw new IllegalArgumentException("unknown component " + l.component());
			String stem = p + l.module().replace('.', '_');
			w.putFloats(stem + ".lora_down.weight", l.downShape(), l.down());
			w.putFloats(stem + ".lora_up.weight", l.upShape(), l.up());
			w.putFloats(stem + ".alpha", new long[] {}, new float[] {Float.isNaN(l.alpha()) ? l.rank() : l.alpha()});
			if (l.dora() != null) w.putFloats(stem + ".dora_scale", l.doraShape(), l.dora());
		}
		w.write(file);
	}
}
