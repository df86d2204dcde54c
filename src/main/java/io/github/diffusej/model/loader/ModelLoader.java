package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.WeightSource;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.schedule.SchedulerConfig;
import io.github.diffusej.model.ldm.LdmCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Opens a Stable Diffusion 1.x/2.x model, either a diffusers folder ({@code model_index.json} + component
 * folders) or a single-file LDM {@code .safetensors} checkpoint, as {@link ModelFiles}: per component a
 * {@link WeightSource} under reference names plus its config, the tokenizer folder and the scheduler config.
 *
 * <p>Nothing but headers and JSON is read here; tensors are read when a network asks for them. Pickle files
 * ({@code .ckpt}, {@code .pt}, {@code .pth}, {@code .bin}) are refused: unpickling can run arbitrary code.
 */
public final class ModelLoader {

	private ModelLoader() {}

	/** The diffusers pipelines whose components this project can run. */
	static final Set<String> SUPPORTED_PIPELINES = Set.of("StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline");

	private static final String[] WEIGHT_BASE_NAMES = {"diffusion_pytorch_model", "model"};
	private static final Set<String> PICKLE_EXTENSIONS = Set.of("ckpt", "pt", "pth", "bin", "pkl");

	public static ModelFiles open(Path path) throws IOException {
		return open(path, LoadOptions.defaults());
	}

	/** Opens a diffusers folder or a single {@code .safetensors} checkpoint. */
	public static ModelFiles open(Path path, LoadOptions options) throws IOException {
		if (options == null) options = LoadOptions.defaults();
		if (Files.isDirectory(path)) return openFolder(path, options);
		if (!Files.exists(path)) throw new ModelLoadException(path + ": no such file or folder");
		return openSingleFile(path, options);
	}

	// ---------------------------------------------------------------------------------------------------------
	// diffusers folder

	/** Opens a diffusers {@code StableDiffusionPipeline} folder. */
	public static ModelFiles openFolder(Path root, LoadOptions options) throws IOException {
		Path index = root.resolve("model_index.json");
		if (!Files.isRegularFile(index)) {
			String hint = Files.isDirectory(root.resolve("unet")) ? "" : " (for a single-file checkpoint, open the " +
				".safetensors file itself)";
			throw new ModelLoadException(root + ": not a diffusers model folder: model_index.json is missing" + hint);
		}
		JsonObject modelIndex = readJson(index);
		String cls = string(modelIndex, "_class_name");
		if (cls == null) throw new ModelLoadException(index + ": no _class_name");
		if (cls.contains("XL")) throw new ModelLoadException(root + ": " + cls +
			" is an SDXL pipeline; SDXL is not supported yet - use an SD 1.x or SD 2.x model");
		if (!SUPPORTED_PIPELINES.contains(cls)) throw new ModelLoadException(root + ": pipeline class '" + cls +
			"' is not supported (supported: " + String.join(", ", SUPPORTED_PIPELINES) + ")");

		List<String> notes = new ArrayList<>();
		List<String> missing = new ArrayList<>();
		for (Component c : Component.values()) {
			Path dir = root.resolve(c.folder);
			if (!Files.isDirectory(dir)) missing.add(c.folder + "/");
			else if (!Files.isRegularFile(dir.resolve("config.json"))) missing.add(c.folder + "/config.json");
		}
		Path schedulerFile = root.resolve("scheduler").resolve("scheduler_config.json");
		if (!Files.isRegularFile(schedulerFile)) missing.add("scheduler/scheduler_config.json");
		if (!missing.isEmpty()) throw new ModelLoadException(root + ": incomplete diffusers model folder, missing: " +
			String.join(", ", missing));

		Map<Component, JsonObject> configs = new EnumMap<>(Component.class);
		for (Component c : Component.values()) configs.put(c, readJson(root.resolve(c.folder).resolve("config.json")));
		ModelFamily family = familyOfConfigs(root, configs.get(Component.UNET), configs.get(Component.TEXT_ENCODER));
		for (Component c : Component.values())
			validateConfig(c, configs.get(c), root.resolve(c.folder).resolve("config.json").toString());

		Path tokenizer = options.tokenizerDir() != null ? options.tokenizerDir() : root.resolve("tokenizer");
		checkTokenizer(tokenizer, root + ": tokenizer folder");

		JsonObject scheduler = readJson(schedulerFile);
		validateScheduler(scheduler, schedulerFile);
		PredictionType prediction = options.predictionType() != null ? options.predictionType()
			: scheduler.has("prediction_type") ? parsePrediction(schedulerFile, string(scheduler, "prediction_type"))
			: PredictionType.EPSILON;
		scheduler.addProperty("prediction_type", prediction.configName());

		Map<Component, ComponentFiles> comps = new EnumMap<>(Component.class);
		try {
			for (Component c : Component.values()) {
				Path dir = root.resolve(c.folder);
				Path weights = findWeights(dir, options.variant(), notes);
				comps.put(c, new ComponentFiles(c, SafetensorsWeightSource.open(weights), configs.get(c),
					dir.resolve("config.json").toString()));
			}
			List<String> defects = new ArrayList<>();
			for (ComponentFiles cf : comps.values()) {
				Map<String, long[]> offered = new java.util.LinkedHashMap<>();
				for (String k : cf.weights().keys()) offered.put(k, cf.weights().shape(k));
				defects.addAll(ReferenceKeys.check(cf.component(), cf.config(), offered, k -> k, false));
				for (String d : ReferenceKeys.check(cf.component(), cf.config(), offered, k -> k, true))
					if (!defects.contains(d)) notes.add(root + ": " + d + " (not used)");
			}
			if (!defects.isEmpty()) {
				throw new ModelLoadException(root + ": the weights do not match the configs:\n  - " +
					String.join("\n  - ", defects));
			}
		}
		catch (IOException | RuntimeException e) {
			for (ComponentFiles cf : comps.values()) cf.weights().close();
			throw e;
		}
		return new ModelFiles(root, ModelFiles.Kind.DIFFUSERS_FOLDER, family, prediction, Collections.unmodifiableMap(comps),
			tokenizer, scheduler, List.copyOf(notes));
	}

	private static ModelFamily familyOfConfigs(Path root, JsonObject unet, JsonObject text) throws ModelLoadException {
		JsonElement add = unet.get("addition_embed_type");
		JsonElement cross = unet.get("cross_attention_dim");
		int context = cross != null && cross.isJsonPrimitive() && cross.getAsJsonPrimitive().isNumber()
			? cross.getAsInt() : -1;
		if (add != null && add.isJsonPrimitive() && "text_time".equals(add.getAsString()) || context == 2048)
			throw new ModelLoadException(root + ": the UNet config is SDXL's (addition_embed_type text_time / " +
				"cross_attention_dim 2048); SDXL is not supported yet");
		if (context == 768) return ModelFamily.SD1;
		if (context == 1024) return ModelFamily.SD2;
		// small test models: OpenCLIP (SD2) uses plain gelu, OpenAI CLIP (SD1) quick_gelu
		return "gelu".equals(string(text, "hidden_act")) ? ModelFamily.SD2 : ModelFamily.SD1;
	}

	/**
	 * Picks the weights file of a component folder. Preference: the requested variant ({@code <base>.<variant>
	 * .safetensors}, or its sharded index), else the plain file; when the preferred one is missing the other is used
	 * and a note says so. Pickles are refused; a folder without weights is an error naming what was looked for.
	 */
	static Path findWeights(Path dir, String variant, List<String> notes) throws IOException {
		List<String> preferred = candidates(variant);
		for (String n : preferred)
			if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
		List<String> present;
		try (Stream<Path> s = Files.list(dir)) {
			present = s.map(p -> p.getFileName().toString()).sorted().toList();
		}
		// the plain file when a variant was asked for, else any variant (fp16, non_ema, ...), sharded or not
		List<String> fallback = new ArrayList<>(variant == null ? List.of() : candidates(null));
		for (String n : present)
			for (String base : WEIGHT_BASE_NAMES)
				if (n.startsWith(base + ".") && (n.endsWith(".safetensors") || n.contains(".safetensors.index")
					&& n.endsWith(".json")) && !fallback.contains(n)) fallback.add(n);
		for (String n : fallback) {
			if (!present.contains(n)) continue;
			notes.add(dir.getFileName() + ": " + (variant == null ? "no plain weights file; using " + n
				: "no '" + variant + "' variant; using " + n));
			return dir.resolve(n);
		}
		List<String> pickles = present.stream().filter(n -> PICKLE_EXTENSIONS.contains(extension(n))).toList();
		if (!pickles.isEmpty()) throw new ModelLoadException(dir + ": only pickle weights found (" +
			String.join(", ", pickles) + "). Pickle files are not loaded because unpickling can run arbitrary code. " +
			"Convert the model to .safetensors first, e.g. with diffusers' conversion scripts or any tool that saves " +
			"safetensors (diffusers save_pretrained(safe_serialization=True), the safetensors 'convert' space).");
		throw new ModelLoadException(dir + ": no weights file: expected " + String.join(" or ", preferred) +
			(present.isEmpty() ? " (folder is empty)" : " (folder has: " + String.join(", ", present) + ")"));
	}

	private static List<String> candidates(String variant) {
		List<String> out = new ArrayList<>();
		for (String b : WEIGHT_BASE_NAMES) {
			if (variant == null) {
				out.add(b + ".safetensors");
				out.add(b + ".safetensors.index.json");
			}
			else {
				out.add(b + "." + variant + ".safetensors");
				out.add(b + ".safetensors.index." + variant + ".json");
				out.add(b + "." + variant + ".safetensors.index.json");
			}
		}
		return out;
	}

	private static String extension(String name) {
		int i = name.lastIndexOf('.');
		return i < 0 ? "" : name.substring(i + 1).toLowerCase(Locale.ROOT);
	}

	// ---------------------------------------------------------------------------------------------------------
	// single-file LDM checkpoint

	/**
	 * Opens a single-file LDM checkpoint. Configs are the bundled SD1.5 / SD2.1 defaults unless
	 * {@link LoadOptions#configDir()} supplies others. Prediction type: the option, else the file's
	 * {@code modelspec.prediction_type} metadata, else the family default (SD1 epsilon, SD2 v_prediction).
	 */
	public static ModelFiles openSingleFile(Path file, LoadOptions options) throws IOException {
		String ext = extension(file.getFileName().toString());
		if (PICKLE_EXTENSIONS.contains(ext)) throw new ModelLoadException(file + ": '." + ext + "' files are Python " +
			"pickles and are not loaded, because unpickling can run arbitrary code. Convert the checkpoint to " +
			".safetensors first (e.g. diffusers' convert_original_stable_diffusion_to_diffusers.py, or any tool that " +
			"saves safetensors) and open that file.");
		if (!ext.equals("safetensors")) throw new ModelLoadException(file + ": not a model file: expected a " +
			".safetensors checkpoint or a diffusers model folder");
		SafetensorsFile sf = SafetensorsFile.open(file);
		try {
			Map<String, long[]> shapes = LdmCheckpoint.shapes(sf);
			ModelFamily family = LdmCheckpoint.detectFamily(shapes, file.toString());
			Path tokenizer = options.tokenizerDir();
			Path sibling = file.toAbsolutePath().getParent().resolve("tokenizer");
			if (tokenizer == null) {
				if (!Files.isDirectory(sibling)) throw new ModelLoadException(file + ": a single-file checkpoint carries no " +
					"tokenizer. Give a tokenizer folder (vocab.json + merges.txt, e.g. the 'tokenizer' folder of the " +
					"matching diffusers model) in the load options, or place it at " + sibling);
				tokenizer = sibling;
			}
			checkTokenizer(tokenizer, file + ": tokenizer folder");
			List<String> notes = new ArrayList<>();
			Map<Component, JsonObject> configs = new EnumMap<>(Component.class);
			Map<Component, String> origins = new EnumMap<>(Component.class);
			for (Component c : Component.values()) {
				String rel = c.folder + "/config.json";
				Path override = options.configDir() == null ? null : options.configDir().resolve(rel);
				if (override != null && Files.isRegularFile(override)) {
					configs.put(c, readJson(override));
					origins.put(c, override.toString());
				}
				else {
					configs.put(c, bundled(family, rel));
					origins.put(c, "bundled:" + family.configFolder + "/" + rel);
					if (options.configDir() != null) notes.add(options.configDir() + " has no " + rel +
						"; using the bundled " + family + " default");
				}
			}
			String schedRel = "scheduler/scheduler_config.json";
			Path schedOverride = options.configDir() == null ? null : options.configDir().resolve(schedRel);
			JsonObject scheduler = schedOverride != null && Files.isRegularFile(schedOverride) ? readJson(schedOverride)
				: bundled(family, schedRel);
			for (Component c : Component.values()) validateConfig(c, configs.get(c), origins.get(c));
			if (schedOverride != null && Files.isRegularFile(schedOverride)) validateScheduler(scheduler, schedOverride);

			PredictionType prediction = options.predictionType();
			String meta = sf.metadata().get("modelspec.prediction_type");
			if (prediction == null && meta != null) prediction = parsePrediction(file, meta);
			if (prediction == null && schedOverride != null && scheduler.has("prediction_type"))
				prediction = parsePrediction(schedOverride, string(scheduler, "prediction_type"));
			if (prediction == null) {
				prediction = family.defaultPrediction;
				if (family == ModelFamily.SD2) notes.add(file.getFileName() + ": SD 2.x checkpoint; assuming " +
					"v_prediction (SD 2.0/2.1 768-v). For the 512-base models choose epsilon.");
			}
			scheduler.addProperty("prediction_type", prediction.configName());

			Map<Component, WeightSource> sources = LdmCheckpoint.open(sf, family, configs.get(Component.UNET),
				configs.get(Component.VAE), configs.get(Component.TEXT_ENCODER));
			int ignored = shapes.size();
			Map<Component, ComponentFiles> comps = new EnumMap<>(Component.class);
			for (Component c : Component.values()) {
				comps.put(c, new ComponentFiles(c, sources.get(c), configs.get(c), origins.get(c)));
				ignored -= sources.get(c).keys().size();
			}
			if (ignored > 0) notes.add(file.getFileName() + ": tensors not used by the networks (EMA copies, " +
				"schedule buffers, unused text-encoder parts) were skipped; see LdmKeyMap.IGNORED");
			return new ModelFiles(file, ModelFiles.Kind.SINGLE_FILE, family, prediction, Collections.unmodifiableMap(comps),
				tokenizer, scheduler, List.copyOf(notes));
		}
		catch (IOException | RuntimeException e) {
			sf.close(); // closing twice is harmless
			throw e;
		}
	}

	/** A bundled default config, e.g. {@code bundled(SD1, "unet/config.json")}; a fresh copy each call. */
	public static JsonObject bundled(ModelFamily family, String relative) throws IOException {
		String res = "/io/github/diffusej/model/configs/" + family.configFolder + "/" + relative;
		try (InputStream in = ModelLoader.class.getResourceAsStream(res)) {
			if (in == null) throw new IOException("bundled config " + res + " is missing from the jar");
			return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
		}
	}

	// ---------------------------------------------------------------------------------------------------------
	// helpers

	static void checkTokenizer(Path dir, String what) throws ModelLoadException {
		if (!Files.isDirectory(dir)) throw new ModelLoadException(what + " " + dir + " does not exist");
		boolean fast = Files.isRegularFile(dir.resolve("tokenizer.json"));
		boolean slow = Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"));
		if (!fast && !slow) throw new ModelLoadException(what + " " + dir +
			" has neither tokenizer.json nor vocab.json + merges.txt");
	}

	/** A config file, as strict JSON plus Python's NaN/Infinity, nesting bounded; errors name the file. */
	static JsonObject readJson(Path p) throws ModelLoadException {
		try {
			return Configs.readObject(p);
		}
		catch (java.nio.file.NoSuchFileException e) {
			throw new ModelLoadException(p + ": cannot read (no such file)", e);
		}
		catch (IOException e) {
			String m = e.getMessage() == null ? "" : e.getMessage();
			throw new ModelLoadException(m.startsWith(p.toString()) ? m : p + ": cannot read (" + m + ")", e);
		}
	}

	/**
	 * Parses a component config into its record, so that wrong JSON types and absurd values (layers, channels,
	 * heads, groups that do not divide channels, scaling factor) are refused with the file and the key before any
	 * network is built or any weight is read.
	 */
	static void validateConfig(Component c, JsonObject config, String origin) throws ModelLoadException {
		try {
			switch (c) {
				case UNET -> Configs.parse(config, UNet2DConditionConfig.class, origin);
				case VAE -> Configs.parse(config, AutoencoderKLConfig.class, origin);
				case TEXT_ENCODER -> Configs.parse(config, CLIPTextConfig.class, origin);
			}
		}
		catch (IllegalArgumentException e) {
			throw new ModelLoadException(e.getMessage(), e);
		}
	}

	/** The scheduler config's types and ranges (train timesteps, betas, steps offset), with the file named. */
	static void validateScheduler(JsonObject config, Path file) throws ModelLoadException {
		try {
			SchedulerConfig.parse(config, file);
		}
		catch (IllegalArgumentException e) {
			throw new ModelLoadException(e.getMessage(), e);
		}
	}

	private static String string(JsonObject o, String key) {
		JsonElement e = o.get(key);
		return e == null || e.isJsonNull() || !e.isJsonPrimitive() ? null : e.getAsString();
	}

	private static PredictionType parsePrediction(Path where, String value) throws ModelLoadException {
		try {
			return PredictionType.parse(value);
		}
		catch (IllegalArgumentException e) {
			throw new ModelLoadException(where + ": " + e.getMessage());
		}
	}
}
