package io.github.diffusej.export;

import com.google.gson.JsonElement;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.io.StrictJson;
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
			float a = f.contains(alpha) ? alpha(f, alpha) : Float.NaN;
			layers.add(layer(f, KOHYA_COMPONENTS[c], stem.substring(KOHYA_PREFIXES[c].length()), n, up, a,
				f.contains(dora) ? dora : null));
			used.addAll(List.of(n, up, alpha, dora));
		}
		checkAllUsed(f, used);
		return new Contents(f.path(), "kohya", layers, f.metadata());
	}

	private static Contents readPeft(SafetensorsFile f) throws IOException {
		float alpha = peftAlpha(f);
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
		checkShapes(f, module, ds, us);
		float[] dv = weights(f, module, down), uv = weights(f, module, up);
		float[] dora_ = null;
		long[] doraShape = null;
		if (dora != null) {
			doraShape = f.info(dora).shape();
			checkDoraShape(f, module, doraShape, us[0], ds[1]);
			dora_ = weights(f, module, dora);
		}
		return new LoraLayer(component, module, dv, ds, uv, us, alpha, dora_, doraShape);
	}

	/**
	 * A rank-r product: down [r, in] and up [out, r] (conv: [r, in, kh, kw] and [out, r, 1, 1]), every dimension
	 * at least 1. A rank of 0 would make the scale alpha / rank infinite.
	 */
	private static void checkShapes(SafetensorsFile f, String module, long[] ds, long[] us) throws SafetensorsException {
		String both = "down " + Arrays.toString(ds) + " and up " + Arrays.toString(us);
		boolean linear = ds.length == 2 && us.length == 2;
		boolean conv = ds.length == 4 && us.length == 4;
		if (!linear && !conv || us[1] != ds[0]) throw new SafetensorsException(f.path(), "LoRA '" + module + "': " +
			both + " do not form a rank-r product");
		for (long d : ds) if (d < 1) throw new SafetensorsException(f.path(), "LoRA '" + module + "': " + both +
			(ds[0] < 1 ? ": rank " + ds[0] + ", a LoRA needs rank >= 1" : ": a dimension of size 0"));
		for (long d : us) if (d < 1) throw new SafetensorsException(f.path(), "LoRA '" + module + "': " + both +
			": a dimension of size 0");
		if (conv && (us[2] != 1 || us[3] != 1)) throw new SafetensorsException(f.path(), "LoRA '" + module + "': up " +
			Arrays.toString(us) + " must have a 1x1 kernel");
	}

	/** DoRA magnitudes: one per input column ([1, in], conv [1, in, 1, 1]) or per output row ([out], [out, 1]). */
	private static void checkDoraShape(SafetensorsFile f, String module, long[] s, long out, long in)
		throws SafetensorsException
	{
		long numel = 1;
		for (long d : s) numel *= d;
		boolean perInput = s.length >= 2 && s[0] == 1 && s[1] == in && numel == in;
		boolean perOutput = s.length >= 1 && s[0] == out && numel == out;
		if (!perInput && !perOutput) throw new SafetensorsException(f.path(), "LoRA '" + module + "': DoRA magnitude " +
			Arrays.toString(s) + " is neither per input column [1, " + in + "] nor per output row [" + out + "]");
	}

	/** A weight tensor of a float dtype with finite values only. */
	private static float[] weights(SafetensorsFile f, String module, String name) throws IOException {
		if (!f.info(name).dtype().isFloat()) throw new SafetensorsException(f.path(), "LoRA '" + module + "': '" + name +
			"' has dtype " + f.info(name).dtype() + ", expected a float type");
		float[] v = f.floats(name);
		for (int i = 0; i < v.length; i++) {
			if (!Float.isFinite(v[i])) throw new SafetensorsException(f.path(), "LoRA '" + module + "' contains NaN or " +
				"infinite values ('" + name + "' element " + i + " is " + v[i] + "): the file is damaged or its training " +
				"diverged");
			if (Math.abs(v[i]) > EmbeddingFile.MAX_ABS) throw new SafetensorsException(f.path(), "LoRA '" + module +
				"': '" + name + "' element " + i + " is " + v[i] + ", far beyond any trained LoRA (|x| <= " +
				EmbeddingFile.MAX_ABS + " accepted): the file is damaged or its training diverged");
		}
		return v;
	}

	/** A kohya {@code .alpha}: exactly one finite number (shape [] or [1]). */
	private static float alpha(SafetensorsFile f, String name) throws IOException {
		long n = f.info(name).numel();
		if (n != 1) throw new SafetensorsException(f.path(), "'" + name + "' must be one number, but has shape " +
			Arrays.toString(f.info(name).shape()));
		float a = f.floats(name)[0];
		if (!Float.isFinite(a)) throw new SafetensorsException(f.path(), "'" + name + "' is " + a + ", not a finite number");
		if (Math.abs(a) > 1e6f) throw new SafetensorsException(f.path(), "'" + name + "' is " + a + ": no LoRA scales " +
			"by alpha / rank with such an alpha (the file is damaged)");
		return a;
	}

	/** PEFT's alpha from the {@code lora_adapter_metadata} JSON, or NaN (alpha = rank) when absent. */
	private static float peftAlpha(SafetensorsFile f) throws SafetensorsException {
		String meta = f.metadata().get("lora_adapter_metadata");
		if (meta == null) return Float.NaN;
		JsonElement root;
		try {
			root = StrictJson.parse(meta, StrictJson.Dialect.PYTHON);
		}
		catch (StrictJson.JsonError e) {
			throw new SafetensorsException(f.path(), "metadata 'lora_adapter_metadata' is not valid JSON: " + e.getMessage());
		}
		if (!root.isJsonObject()) throw new SafetensorsException(f.path(), "metadata 'lora_adapter_metadata' is not a " +
			"JSON object");
		JsonElement a = root.getAsJsonObject().get("lora_alpha");
		if (a == null || a.isJsonNull()) return Float.NaN;
		if (!a.isJsonPrimitive() || !a.getAsJsonPrimitive().isNumber() || !Float.isFinite(a.getAsFloat()))
			throw new SafetensorsException(f.path(), "metadata 'lora_adapter_metadata': lora_alpha must be one finite " +
				"number, found " + a);
		return a.getAsFloat();
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
