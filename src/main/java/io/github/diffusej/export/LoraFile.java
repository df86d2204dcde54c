package io.github.diffusej.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.io.StrictJson;
import io.github.diffusej.io.TensorInfo;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraNetwork;
import io.github.diffusej.model.adapter.LoraSpec;
import io.github.diffusej.schedule.PredictionType;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * {@code .lora_B.weight}, {@code .lora_magnitude_vector}, alpha in {@code lora_adapter_metadata}); writes trained
 * networks in kohya format (which InvokeAI, ComfyUI, A1111 and diffusers all load) with kohya {@code ss_*} and
 * ModelSpec metadata, or in the diffusers layout, and reads and writes embeddings bundled in a LoRA file
 * (pivotal tuning, {@code bundle_emb.<token>.*}).
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
		// Embeddings bundled with the LoRA are read by readBundledEmbeddings.
		List<String> unknown = f.names().stream().filter(n -> !used.contains(n) && !n.startsWith(BUNDLE_PREFIX)).toList();
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


	// ---- Writing trained networks (kohya or diffusers layout) and bundled embeddings ----

	/** The prefix of embeddings bundled in a LoRA file (A1111's {@code bundle_emb.<token>.*}). */
	public static final String BUNDLE_PREFIX = "bundle_emb.";

	/** The file layouts {@link #write} produces. */
	public enum Layout {
		/**
		 * kohya: {@code lora_unet_<module>.lora_down.weight} / {@code .lora_up.weight} / {@code .alpha} /
		 * {@code .dora_scale}, {@code ss_*} and ModelSpec metadata; InvokeAI, ComfyUI, A1111 and diffusers load it.
		 */
		KOHYA,
		/**
		 * diffusers/PEFT {@code pytorch_lora_weights.safetensors}: {@code unet.<module>.lora_A.weight} /
		 * {@code lora_B.weight} / {@code lora_magnitude_vector}, alpha in {@code lora_adapter_metadata}.
		 */
		DIFFUSERS
	}

	/**
	 * What the trainer knows about a run, for the file's metadata.
	 *
	 * @param outputName the model's name ({@code ss_output_name}, {@code modelspec.title})
	 * @param baseModel the base model's version ({@link BaseModelVersion#of})
	 * @param prediction what the base model predicts ({@code modelspec.prediction_type})
	 * @param width training resolution (kohya {@code ss_resolution}, {@code modelspec.resolution})
	 * @param steps optimizer steps done ({@code ss_steps})
	 * @param seed the run's seed ({@code ss_seed})
	 * @param trainingComment free text ({@code ss_training_comment}), may be empty
	 * @param triggerPhrase the words that call the concept ({@code modelspec.trigger_phrase}), or null
	 * @param extra further metadata, added last (may override)
	 */
	public record TrainingInfo(String outputName, BaseModelVersion baseModel, PredictionType prediction, int width,
		int height, long steps, long seed, String trainingComment, String triggerPhrase, Map<String, String> extra)
	{
		public TrainingInfo {
			if (outputName == null || outputName.isBlank()) throw new IllegalArgumentException("output name is empty");
			if (baseModel == null || prediction == null) throw new IllegalArgumentException(
				"base model version and prediction type are required");
			if (width < 1 || height < 1) throw new IllegalArgumentException("resolution " + width + "x" + height
				+ " is not positive");
			if (steps < 0) throw new IllegalArgumentException("steps " + steps + " is negative");
			trainingComment = trainingComment == null ? "" : trainingComment;
			extra = extra == null ? Map.of() : Map.copyOf(extra);
		}
	}

	/**
	 * Writes a trained network atomically: its master tensors as float32, with {@code bundled} embeddings inside
	 * the file as {@code bundle_emb.<token>.string_to_param.*} (kohya layout only; A1111 and DiffuseJ load them).
	 */
	public static void write(Path file, LoraNetwork net, TrainingInfo info, List<Embedding> bundled, Layout layout)
		throws IOException
	{
		write(file, net, net::values, info, bundled, layout);
	}

	/**
	 * Like {@link #write(Path, LoraNetwork, TrainingInfo, List, Layout)} with other values for the network's
	 * tensors (by kohya key, float32 row-major): an EMA average, or a checkpoint's copy.
	 */
	public static void write(Path file, LoraNetwork net, java.util.function.Function<String, float[]> values,
		TrainingInfo info, List<Embedding> bundled, Layout layout) throws IOException
	{
		List<Embedding> embs = bundled == null ? List.of() : bundled;
		SafetensorsWriter w = new SafetensorsWriter();
		if (layout == Layout.KOHYA) {
			w.metadata(kohyaMetadata(net, info));
			putKohya(w, layersOf(net, values));
			putBundle(w, embs);
		}
		else {
			if (!embs.isEmpty()) throw new IllegalArgumentException("the diffusers layout cannot hold embeddings; "
				+ "save the LoRA in kohya layout (bundle_emb) or the embedding as its own file");
			w.metadata(diffusersMetadata(net, info));
			putDiffusers(w, net, values);
		}
		w.write(file);
	}

	/** The network's layers as file layers (master values as float32), module paths resolved. */
	public static List<LoraLayer> layersOf(LoraNetwork net) {
		return layersOf(net, net::values);
	}

	/** The network's layers with the given values (by kohya key). */
	public static List<LoraLayer> layersOf(LoraNetwork net, java.util.function.Function<String, float[]> values) {
		List<LoraLayer> out = new ArrayList<>();
		for (LoraNetwork.Layer l : net.layers()) {
			String dk = l.doraKey();
			out.add(new LoraLayer(l.group().component, l.module(), values.apply(l.downKey()),
				l.tensors().get(l.downKey()).getShape(), values.apply(l.upKey()), l.tensors().get(l.upKey()).getShape(),
				(float) l.alpha(), dk == null ? null : values.apply(dk), dk == null ? null : l.tensors().get(dk).getShape()));
		}
		return out;
	}

	/** Writes layers (with resolved module paths) as a kohya file, atomically, with the given metadata. */
	public static void writeKohya(Path file, List<LoraLayer> layers, Map<String, String> metadata) throws IOException {
		SafetensorsWriter w = new SafetensorsWriter().metadata(metadata == null ? Map.of() : metadata);
		putKohya(w, layers);
		w.write(file);
	}

	private static void putKohya(SafetensorsWriter w, List<LoraLayer> layers) {
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
	}

	private static void putBundle(SafetensorsWriter w, List<Embedding> embs) {
		Set<String> seen = new TreeSet<>();
		for (Embedding e : embs) {
			if (e.token().contains(".") || e.token().isBlank()) throw new IllegalArgumentException("token '" + e.token()
				+ "' cannot be bundled: bundle_emb keys separate the token with '.'");
			if (!seen.add(e.token())) throw new IllegalArgumentException("embedding '" + e.token() + "' bundled twice");
			int n = e.count(), dim = e.dim();
			float[] flat = new float[n * dim];
			for (int i = 0; i < n; i++) System.arraycopy(e.vectors()[i], 0, flat, i * dim, dim);
			w.putFloats(BUNDLE_PREFIX + e.token() + ".string_to_param.*", new long[] {n, dim}, flat);
		}
	}

	private static void putDiffusers(SafetensorsWriter w, LoraNetwork net,
		java.util.function.Function<String, float[]> values)
	{
		for (LoraNetwork.Layer l : net.layers()) {
			String stem = l.group().component + "." + l.module();
			w.putFloats(stem + ".lora_A.weight", l.tensors().get(l.downKey()).getShape(), values.apply(l.downKey()));
			w.putFloats(stem + ".lora_B.weight", l.tensors().get(l.upKey()).getShape(), values.apply(l.upKey()));
			if (l.doraKey() != null) w.putFloats(stem + ".lora_magnitude_vector", new long[] {
				l.tensors().get(l.upKey()).get(0)}, values.apply(l.doraKey()));
		}
	}

	/**
	 * kohya's {@code ss_*} metadata (as {@code train_network.py} writes it: strings, booleans as True/False,
	 * {@code ss_resolution} as "(W, H)", network arguments as a JSON object of strings) and ModelSpec 1.0.1.
	 */
	public static Map<String, String> kohyaMetadata(LoraNetwork net, TrainingInfo info) {
		LoraSpec spec = net.spec();
		Map<String, String> m = new LinkedHashMap<>();
		m.put("ss_network_module", spec.isDora() ? "lycoris.kohya" : "networks.lora");
		m.put("ss_network_dim", Integer.toString(spec.rank()));
		m.put("ss_network_alpha", pyFloat(spec.alpha()));
		Map<String, String> args = new LinkedHashMap<>();
		if (spec.isDora()) {
			// LyCORIS' kohya entry point: plain LoRA algorithm with weight decomposition on the chosen axis.
			args.put("algo", "lora");
			args.put("dora_wd", "True");
			args.put("wd_on_output", spec.dora() == DoraAdapter.Axis.OUTPUT ? "True" : "False");
		}
		if (spec.hasConvArgs()) {
			args.put("conv_dim", Integer.toString(spec.convRank()));
			args.put("conv_alpha", pyFloat(spec.convAlpha()));
		}
		if (!args.isEmpty()) {
			JsonObject o = new JsonObject();
			args.forEach(o::addProperty);
			m.put("ss_network_args", o.toString());
		}
		m.put("ss_base_model_version", info.baseModel().kohya);
		m.put("ss_v2", info.baseModel().isV2() ? "True" : "False");
		m.put("ss_resolution", "(" + info.width() + ", " + info.height() + ")");
		m.put("ss_output_name", info.outputName());
		m.put("ss_training_comment", info.trainingComment());
		m.put("ss_steps", Long.toString(info.steps()));
		m.put("ss_seed", Long.toString(info.seed()));
		m.put("diffusej_targets", net.targets().toString());
		m.putAll(modelSpec(info));
		m.putAll(info.extra());
		return m;
	}

	/** ModelSpec 1.0.1 keys for a LoRA ({@code modelspec.architecture = <base>/lora}). */
	public static Map<String, String> modelSpec(TrainingInfo info) {
		Map<String, String> m = new LinkedHashMap<>();
		m.put("modelspec.sai_model_spec", "1.0.1");
		m.put("modelspec.architecture", info.baseModel().modelSpec + "/lora");
		// kohya writes "diffusers" for SD1/SD2 LoRAs: the key names follow diffusers' module names.
		m.put("modelspec.implementation", "diffusers");
		m.put("modelspec.title", info.outputName());
		m.put("modelspec.resolution", info.width() + "x" + info.height());
		m.put("modelspec.date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
		m.put("modelspec.prediction_type", info.prediction() == PredictionType.V_PREDICTION ? "v" : "epsilon");
		if (info.triggerPhrase() != null && !info.triggerPhrase().isBlank())
			m.put("modelspec.trigger_phrase", info.triggerPhrase());
		return m;
	}

	/**
	 * diffusers' metadata: {@code lora_adapter_metadata} holds one PEFT {@code LoraConfig} per component under
	 * the component prefix ({@code unet.r}, {@code unet.lora_alpha}, ... as {@code save_lora_weights} packs it),
	 * plus the unprefixed {@code r} and {@code lora_alpha} that single-config readers look for.
	 */
	public static Map<String, String> diffusersMetadata(LoraNetwork net, TrainingInfo info) {
		LoraSpec spec = net.spec();
		if (spec.isDora() && spec.dora() != DoraAdapter.Axis.OUTPUT) throw new IllegalArgumentException(
			"PEFT's lora_magnitude_vector is per output channel, but this DoRA has kohya's per-input-channel "
				+ "dora_scale: save it in kohya layout, or train DoRA on the output axis for the diffusers layout");
		double alpha = net.layers().get(0).alpha();
		for (LoraNetwork.Layer l : net.layers())
			if (l.alpha() != alpha) throw new IllegalArgumentException("layer " + l.module() + " has alpha " + l.alpha()
				+ " but others " + alpha + ": the diffusers layout keeps one alpha per file here; save in kohya layout");
		JsonObject meta = new JsonObject();
		meta.addProperty("r", spec.rank());
		meta.addProperty("lora_alpha", alpha);
		for (LoraNetwork.Group g : LoraNetwork.Group.values()) {
			List<LoraNetwork.Layer> ls = net.layers().stream().filter(l -> l.group() == g).toList();
			if (ls.isEmpty()) continue;
			JsonArray targets = new JsonArray();
			JsonObject ranks = new JsonObject();
			for (LoraNetwork.Layer l : ls) {
				targets.add(l.module());
				if (l.rank() != spec.rank()) ranks.addProperty(l.module(), l.rank());
			}
			String p = g.component + ".";
			meta.addProperty(p + "r", spec.rank());
			meta.addProperty(p + "lora_alpha", alpha);
			meta.add(p + "target_modules", targets);
			meta.add(p + "rank_pattern", ranks);
			meta.add(p + "alpha_pattern", new JsonObject());
			meta.addProperty(p + "use_dora", spec.isDora());
			meta.addProperty(p + "init_lora_weights", true);
			meta.addProperty(p + "lora_dropout", 0.0);
			meta.addProperty(p + "bias", "none");
		}
		Map<String, String> m = new LinkedHashMap<>();
		m.put("format", "pt");
		m.put("lora_adapter_metadata", meta.toString());
		m.putAll(modelSpec(info));
		m.putAll(info.extra());
		return m;
	}

	/** Python's str(float) for the values kohya writes ("4.0", "0.5"). */
	private static String pyFloat(double v) {
		return v == Math.rint(v) && Math.abs(v) < 1e15 ? (long) v + ".0" : Double.toString(v);
	}

	/**
	 * The embeddings bundled in a LoRA file: {@code bundle_emb.<token>.string_to_param.*} (A1111's layout, what
	 * {@link #write} writes) or {@code bundle_emb.<token>.emb_params}, each [n, D] or [D]; none when the file has
	 * no {@code bundle_emb.*} tensors. SDXL pairs ({@code clip_l}/{@code clip_g}) are refused.
	 */
	public static List<Embedding> readBundledEmbeddings(Path file) throws IOException {
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			Map<String, List<String>> byToken = new LinkedHashMap<>();
			for (String n : f.names()) {
				if (!n.startsWith(BUNDLE_PREFIX)) continue;
				String rest = n.substring(BUNDLE_PREFIX.length());
				int dot = rest.indexOf('.');
				if (dot <= 0) throw new SafetensorsException(file, "bundled embedding key '" + n
					+ "' has no '<token>.<tensor>' part");
				byToken.computeIfAbsent(rest.substring(0, dot), k -> new ArrayList<>()).add(rest.substring(dot + 1));
			}
			List<Embedding> out = new ArrayList<>();
			for (Map.Entry<String, List<String>> e : byToken.entrySet()) {
				String token = e.getKey();
				List<String> parts = e.getValue();
				if (parts.contains("clip_l") || parts.contains("clip_g")) throw new SafetensorsException(file,
					"bundled embedding '" + token + "' is an SDXL embedding (clip_l/clip_g); SDXL is not supported yet");
				List<String> usable = parts.stream().filter(p -> p.startsWith("string_to_param.") || p.equals("emb_params"))
					.toList();
				if (usable.size() != 1 || parts.size() != 1) throw new SafetensorsException(file, "bundled embedding '"
					+ token + "' should be one tensor 'string_to_param.*' or 'emb_params', found " + parts);
				String key = BUNDLE_PREFIX + token + "." + usable.get(0);
				TensorInfo t = f.info(key);
				if (!t.dtype().isFloat()) throw new SafetensorsException(file, "bundled embedding '" + key
					+ "' has dtype " + t.dtype() + ", expected a float type");
				long[] s = t.shape();
				if (!(s.length == 1 || s.length == 2) || s[s.length - 1] < 1) throw new SafetensorsException(file,
					"bundled embedding '" + key + "' has shape " + Arrays.toString(s) + ", expected [n, D] or [D]");
				int n = s.length == 1 ? 1 : (int) s[0], dim = (int) s[s.length - 1];
				if (n < 1 || n > 75) throw new SafetensorsException(file, "bundled embedding '" + key + "' has " + n
					+ " vectors; expected 1..75");
				float[] all = f.floats(key);
				float[][] vectors = new float[n][dim];
				for (int i = 0; i < n; i++) System.arraycopy(all, i * dim, vectors[i], 0, dim);
				try {
					out.add(new Embedding(token, vectors, file.toString()));
				}
				catch (IllegalArgumentException ex) {
					throw new SafetensorsException(file, ex.getMessage());
				}
			}
			return out;
		}
	}
}
