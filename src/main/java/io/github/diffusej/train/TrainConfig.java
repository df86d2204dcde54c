package io.github.diffusej.train;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.MalformedJsonException;
import io.github.diffusej.io.AtomicFiles;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that defines a training run, as written to the run's {@code config.json}: rerunning from that file
 * alone gives the same result. Keys are snake_case and grouped in sections as below; a file may give any subset,
 * the rest takes the defaults of the method ({@link #defaults(Method)}), and command-line flags override single
 * keys ({@link #with(String, String)}). Unknown keys, wrong JSON types and values out of range are errors naming
 * the file and the key. The options are those of invoke-training and kohya's sd-scripts under their usual names.
 *
 * @param method what is trained
 * @param model base model: a diffusers folder or a single-file checkpoint
 * @param tokenizer tokenizer folder for a single-file checkpoint, or null
 * @param dataset the training dataset (any format DiffuseJ reads)
 * @param seed seed of every random choice of the run (data order, noise, timesteps, augmentation, initialisation)
 * @param steps optimizer steps; 0 means {@code epochs} decides
 * @param epochs passes over the dataset, used when {@code steps} is 0
 * @param batchSize images per micro-batch (all from one aspect bucket)
 * @param gradientAccumulationSteps micro-batches per optimizer step
 * @param mixedPrecision {@code no} (float32) or {@code fp16} (frozen weights in float16; trainable tensors and
 *        optimizer state in float32; meant for GPUs)
 * @param gradientCheckpointing recompute UNet blocks in backward to save memory
 * @param clipSkip 1 = the last CLIP layer, 2 = the penultimate (A1111's convention), as at generation
 * @param baseLoras LoRA files applied, frozen, to the base model before the method's own tensors ({@code FILE} or
 *        {@code FILE:WEIGHT}): training on top of an existing LoRA, or validating with a user's style LoRA
 * @param outputName file name (without extension) of the result files; null = from the token (textual inversion:
 *        {@code <my-cell>} gives {@code my-cell}), else {@code lora}
 */
public record TrainConfig(Method method, String model, String tokenizer, String dataset, String outputName, long seed, int steps,
	int epochs, int batchSize, int gradientAccumulationSteps, String mixedPrecision, boolean gradientCheckpointing,
	int clipSkip, List<String> baseLoras, Data data, Captions captions, Optimizer optimizer, Schedule schedule, Loss loss, Ema ema,
	Validation validation, Checkpoints checkpoints, TextualInversion textualInversion, Lora lora)
{

	/** The training methods. */
	public enum Method {
		TEXTUAL_INVERSION, LORA;

		public String configName() {
			return name().toLowerCase(Locale.ROOT);
		}

		public String label() {
			return this == TEXTUAL_INVERSION ? "textual inversion" : "LoRA";
		}
	}

	/**
	 * Images and batches.
	 *
	 * @param resolution side of the square pixel-area budget; 0 = the model's native size
	 * @param buckets aspect-ratio buckets (kohya/OneTrainer); false = every image cropped to a square
	 * @param bucketStep bucket sides are multiples of this; 0 = the model's (VAE factor x UNet downsampling: 64 for SD)
	 * @param minBucketSide smallest bucket side; 0 = resolution / 2
	 * @param maxBucketSide largest bucket side; 0 = resolution x 2
	 * @param crop {@code center} or {@code random}
	 * @param flip random horizontal flips
	 * @param repeats each image counts this many times per epoch (kohya's num_repeats)
	 * @param cacheLatents {@code memory}, {@code disk} (in the run folder) or {@code off}
	 * @param regularizationDataset an optional class (regularisation) dataset, or null
	 * @param regularizationWeight loss weight of regularisation images
	 */
	public record Data(int resolution, boolean buckets, int bucketStep, int minBucketSide, int maxBucketSide,
		String crop, boolean flip, int repeats, String cacheLatents, String regularizationDataset,
		double regularizationWeight) {}

	/**
	 * Captions used for training.
	 *
	 * @param mode {@code dataset} (the dataset's captions with the trigger inserted), {@code object} or
	 *        {@code style} (the textual-inversion templates of the diffusers example)
	 * @param trigger the word inserted into dataset captions (null: the placeholder token, or none for LoRA)
	 * @param replaceWord a word of the captions replaced by the trigger (e.g. the initializer word), or null to
	 *        prepend the trigger where a caption lacks it
	 * @param dropout probability that a caption is left empty (teaches unconditional generation)
	 * @param shuffleTags shuffle comma-separated tags (kohya's shuffle_caption)
	 * @param keepTags leading tags that are never shuffled or dropped (kohya's keep_tokens)
	 * @param tagDropout probability that each other tag is left out (kohya's caption_tag_dropout_rate)
	 */
	public record Captions(String mode, String trigger, String replaceWord, double dropout, boolean shuffleTags,
		int keepTags, double tagDropout) {}

	/**
	 * The optimizer.
	 *
	 * @param type {@code adamw} or {@code prodigy}
	 * @param learningRate peak learning rate (Prodigy: a multiplier of its own estimate, usually 1)
	 * @param textEncoderLearningRate text-encoder adapters' rate (LoRA), or null for the same
	 * @param maxGradNorm clip the gradient norm to this; 0 = no clipping
	 * @param prodigyD0 Prodigy's initial D estimate
	 * @param prodigyDCoef Prodigy's D coefficient
	 * @param prodigyGrowthRate bound on D's growth per step; 0 = unbounded
	 * @param prodigyBiasCorrection Adam-style bias correction in Prodigy
	 * @param prodigySafeguardWarmup Prodigy's safeguard for warm-up
	 */
	public record Optimizer(String type, double learningRate, Double textEncoderLearningRate, double beta1,
		double beta2, double epsilon, double weightDecay, double maxGradNorm, double prodigyD0, double prodigyDCoef,
		double prodigyGrowthRate, boolean prodigyBiasCorrection, boolean prodigySafeguardWarmup) {}

	/**
	 * The learning-rate schedule (the schedulers of transformers' {@code get_scheduler}).
	 *
	 * @param type constant, constant_with_warmup, linear, cosine, cosine_with_restarts or polynomial
	 * @param warmupSteps linear warm-up steps
	 * @param cycles cosine: waves (0.5 = one half-wave down); cosine_with_restarts: cycles (each from the peak down
	 *        to 0); 0 = the schedule's default (0.5 for cosine, 1 for cosine_with_restarts, as in transformers)
	 * @param power polynomial decay power
	 */
	public record Schedule(String type, int warmupSteps, double cycles, double power) {}

	/**
	 * The diffusion loss.
	 *
	 * @param minSnrGamma min-SNR weighting (Hang et al. 2023) with this gamma; 0 = off
	 * @param noiseOffset offset noise (per image and channel); 0 = off
	 * @param predictionType epsilon or v_prediction; null = the model's scheduler config
	 */
	public record Loss(double minSnrGamma, double noiseOffset, String predictionType) {}

	/** An exponential moving average of the trainable tensors (used for exports and validation when on). */
	public record Ema(boolean enabled, double decay) {}

	/**
	 * Validation during training.
	 *
	 * @param prompts prompts rendered at step 0 and every {@code everySteps}; {@code {token}} is the trigger and
	 *        {@value #CAPTION} a training caption of the first image (the default); an empty list renders none
	 * @param seeds one image per prompt and seed, the same seeds every time
	 * @param everySteps steps between validation images; 0 = only at the start and the end
	 * @param width image width; 0 = the training resolution
	 * @param lossEverySteps steps between validation losses on the dataset's validation split; 0 = with images
	 */
	public record Validation(List<String> prompts, String negativePrompt, List<Long> seeds, int everySteps,
		int steps, double guidanceScale, String sampler, int width, int height, int lossEverySteps) {

		/** The placeholder prompt for "a training caption of the first image". */
		public static final String CAPTION = "{caption}";
	}

	/**
	 * Checkpoints.
	 *
	 * @param everySteps steps between checkpoints; 0 = only at the end (and on cancel)
	 * @param keep checkpoints kept (the oldest are deleted); 0 = all
	 */
	public record Checkpoints(int everySteps, int keep) {}

	/**
	 * Textual inversion.
	 *
	 * @param token the placeholder (case-sensitive, e.g. {@code <my-cell>})
	 * @param numVectors vectors of the embedding
	 * @param initializer a word or phrase whose token rows start the vectors (cycled over the vectors)
	 * @param initializerFile an embedding file to start from instead, or null
	 */
	public record TextualInversion(String token, int numVectors, String initializer, String initializerFile) {}

	/**
	 * LoRA / DoRA.
	 *
	 * @param rank rank of linear (and 1x1 conv) adapters
	 * @param alpha scale = alpha / rank
	 * @param convRank rank of 3x3 conv adapters (kohya's conv_dim); 0 = none
	 * @param convAlpha alpha of 3x3 conv adapters
	 * @param dora weight-decomposed adapters (DoRA)
	 * @param targets {@code attention}, {@code extended} or a regular expression over UNet module paths
	 * @param textEncoder text-encoder adapters too
	 * @param token an optional new token trained with the LoRA (pivotal tuning), or null
	 * @param tokenVectors vectors of that token
	 * @param tokenInitializer its initializer word
	 * @param tokenLearningRate its learning rate (null: the optimizer's)
	 * @param bundleEmbedding write the embedding inside the LoRA file (kohya's bundle_emb) as well
	 * @param peftFormat also write the diffusers/PEFT layout
	 */
	public record Lora(int rank, double alpha, int convRank, double convAlpha, boolean dora, String targets,
		boolean textEncoder, String token, int tokenVectors, String tokenInitializer, Double tokenLearningRate,
		boolean bundleEmbedding, boolean peftFormat) {}

	static final Gson GSON = new GsonBuilder().setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
		.registerTypeAdapter(Method.class, new com.google.gson.TypeAdapter<Method>() {
			@Override
			public void write(com.google.gson.stream.JsonWriter out, Method m) throws IOException {
				out.value(m.configName());
			}

			@Override
			public Method read(JsonReader in) throws IOException {
				return parseMethod(in.nextString());
			}
		}).serializeNulls().setPrettyPrinting().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

	/**
	 * The Java type of every key, dotted ({@code optimizer.learning_rate}), from the record components: the type a
	 * value must have is known also where the default is null, and int keys are told from long ones.
	 */
	private static final Map<String, java.lang.reflect.Type> KEY_TYPES = keyTypes(TrainConfig.class, "",
		new java.util.LinkedHashMap<>());

	private static Map<String, java.lang.reflect.Type> keyTypes(Class<?> record, String prefix,
		Map<String, java.lang.reflect.Type> out)
	{
		for (java.lang.reflect.RecordComponent rc : record.getRecordComponents()) {
			String key;
			try {
				key = prefix + FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES.translateName(record.getDeclaredField(rc.getName()));
			}
			catch (NoSuchFieldException e) {
				throw new IllegalStateException(e);
			}
			out.put(key, rc.getGenericType());
			if (rc.getType().isRecord()) keyTypes(rc.getType(), key + ".", out);
		}
		return out;
	}

	/** The defaults of a method: what a run gets for every key its config does not give. */
	public static TrainConfig defaults(Method method) {
		boolean ti = method == Method.TEXTUAL_INVERSION;
		return new TrainConfig(method, null, null, null, null, 42, ti ? 1000 : 1000, 0, 1, 1, "no", false, 1, List.of(),
			new Data(0, true, 0, 0, 0, "center", false, 1, "memory", null, 1.0),
			new Captions(ti ? "object" : "dataset", null, null, 0.0, false, 0, 0.0),
			new Optimizer("adamw", ti ? 5e-3 : 1e-4, null, 0.9, 0.999, 1e-8, ti ? 1e-2 : 1e-2, ti ? 0 : 1.0, 1e-6,
				1.0, 0, false, false),
			new Schedule("constant", 0, 0, 1.0),
			new Loss(0, 0, null),
			new Ema(false, 0.999),
			new Validation(List.of(Validation.CAPTION), "", List.of(42L), 250, 20, 7.5, "DDIM", 0, 0, 0),
			new Checkpoints(250, 3),
			new TextualInversion("<my-cell>", 1, "cell", null),
			new Lora(8, 8, 0, 1, false, "attention", false, null, 1, null, null, false, false));
	}

	/**
	 * The stem of the result files: {@link #outputName}, or made from the trigger: {@code <my-cell>} gives
	 * {@code my-cell} for textual inversion and {@code my-cell-lora} for a LoRA (whose new token's embedding is then
	 * {@code my-cell}).
	 */
	public String resultName() {
		if (outputName != null) return outputName;
		if (method == Method.TEXTUAL_INVERSION) {
			String s = fileStem(textualInversion.token());
			return s == null ? "embedding" : s;
		}
		String s = fileStem(lora.token() != null ? lora.token() : captions.trigger());
		return s == null ? "lora" : s + "-lora";
	}

	/** A token as a file stem ({@code <my-cell>} -> {@code my-cell}), or null when nothing is left. */
	static String fileStem(String token) {
		if (token == null) return null;
		String s = token.replaceAll("[^A-Za-z0-9._+-]+", "-").replaceAll("^[-.]+|-+$", "");
		return s.isEmpty() ? null : s;
	}

	/** This config as the JSON object written to {@code config.json}. */
	public JsonObject toJson() {
		return GSON.toJsonTree(this).getAsJsonObject();
	}

	/** Writes {@code config.json} atomically. */
	public void write(Path file) throws IOException {
		AtomicFiles.writeString(file, GSON.toJson(toJson()) + "\n");
	}

	/** Reads a config file over the defaults of the method it names (textual inversion when it names none). */
	public static TrainConfig read(Path file) throws IOException {
		return read(file, null);
	}

	/** Reads a config file over the defaults of {@code fallback} (or the method the file names). */
	public static TrainConfig read(Path file, Method fallback) throws IOException {
		String text;
		try {
			text = Files.readString(file, StandardCharsets.UTF_8);
		}
		catch (java.nio.charset.MalformedInputException e) {
			throw new TrainingException(file + ": not UTF-8 text");
		}
		JsonObject json;
		try {
			JsonReader r = new JsonReader(new StringReader(text));
			JsonElement e = JsonParser.parseReader(r);
			if (!e.isJsonObject()) throw new TrainingException(file + ": expected a JSON object");
			json = e.getAsJsonObject();
		}
		catch (JsonParseException e) {
			Throwable c = e.getCause() instanceof MalformedJsonException m ? m : e;
			throw new TrainingException(file + ": not valid JSON: " + c.getMessage());
		}
		return fromJson(json, fallback, file.toString());
	}

	/** A config from a JSON object over the defaults; {@code where} names the origin in errors. */
	public static TrainConfig fromJson(JsonObject json, Method fallback, String where) {
		Method m = fallback == null ? Method.TEXTUAL_INVERSION : fallback;
		if (json.has("method")) {
			JsonElement e = json.get("method");
			if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString())
				throw new TrainingException(where + ": method must be a string, found " + e);
			try {
				m = parseMethod(e.getAsString());
			}
			catch (IllegalArgumentException ex) {
				throw new TrainingException(where + ": " + ex.getMessage());
			}
		}
		JsonObject merged = defaults(m).toJson();
		List<String> problems = new ArrayList<>();
		merge(merged, json, "", merged, problems);
		TrainConfig c;
		try {
			c = GSON.fromJson(merged, TrainConfig.class);
		}
		catch (JsonParseException | IllegalStateException | NumberFormatException e) {
			problems.add(e.getMessage());
			throw Check.report(where, problems);
		}
		c.validate(where, problems);
		return c;
	}

	/**
	 * This config with one key changed, as a command-line flag does: {@code key} is dotted
	 * ({@code optimizer.learning_rate}), {@code value} is parsed as the key's type (a list from comma-separated
	 * values or a JSON array; {@code null} clears an optional value).
	 */
	public TrainConfig with(String key, String value) {
		JsonObject json = toJson();
		set(json, key, value);
		return fromJson(json, method, "setting " + key);
	}

	/**
	 * Applies several overrides in order, and checks the result once: keys that only make sense together (steps 0
	 * with epochs 2) may come in any order.
	 */
	public TrainConfig with(Map<String, String> overrides) {
		if (overrides.isEmpty()) return this;
		JsonObject json = toJson();
		for (Map.Entry<String, String> e : overrides.entrySet()) set(json, e.getKey(), e.getValue());
		return fromJson(json, method, overrides.size() == 1 ? "setting " + overrides.keySet().iterator().next()
			: "settings " + String.join(", ", overrides.keySet()));
	}

	/** Sets one dotted key of {@code json} to {@code value} parsed as the key's type. */
	private static void set(JsonObject json, String key, String value) {
		String[] path = key.split("\\.");
		JsonObject o = json;
		for (int i = 0; i < path.length - 1; i++) {
			JsonElement e = o.get(path[i]);
			if (e == null || !e.isJsonObject()) throw new TrainingException("unknown setting '" + key + "'"
				+ suggestion(key, json));
			o = e.getAsJsonObject();
		}
		String leaf = path[path.length - 1];
		if (!o.has(leaf)) throw new TrainingException("unknown setting '" + key + "'" + suggestion(key, json));
		o.add(leaf, parseLike(o.get(leaf), value, key));
	}

	/** {@code value} as a JSON value of the key's type; {@link #merge} then checks it as it checks a file's value. */
	private static JsonElement parseLike(JsonElement like, String value, String key) {
		String v = value.trim();
		if (v.equals("null")) return JsonNull.INSTANCE;
		java.lang.reflect.Type type = KEY_TYPES.get(key);
		Class<?> raw = rawClass(type);
		boolean list = raw != null && List.class.isAssignableFrom(raw);
		// only lists and sections take JSON: a prompt or a trigger may well start with '{' or '['
		if (list && v.startsWith("[") || raw != null && raw.isRecord()) {
			try {
				return JsonParser.parseString(v);
			}
			catch (JsonParseException e) {
				throw new TrainingException(key + ": '" + value + "' is not valid JSON");
			}
		}
		if (list) {
			boolean strings = elementClass(type) == String.class;
			JsonArray a = new JsonArray();
			if (!v.isEmpty()) for (String part : splitList(v)) a.add(strings ? new JsonPrimitive(part.trim()) : scalar(part.trim()));
			return a;
		}
		if (raw == String.class || raw == Method.class) return new JsonPrimitive(value);
		if (raw == boolean.class || raw == Boolean.class) {
			if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) return new JsonPrimitive(Boolean.parseBoolean(v));
			throw new TrainingException(key + " must be true or false, not '" + value + "'");
		}
		if (raw != null && (raw.isPrimitive() || Number.class.isAssignableFrom(raw))) {
			try {
				return new JsonPrimitive(new java.math.BigDecimal(v));
			}
			catch (NumberFormatException e) {
				throw new TrainingException(key + " must be a number, not '" + value + "'");
			}
		}
		return like != null && like.isJsonPrimitive() && like.getAsJsonPrimitive().isString() ? new JsonPrimitive(value) : scalar(v);
	}

	private static Class<?> rawClass(java.lang.reflect.Type t) {
		if (t instanceof Class<?> c) return c;
		if (t instanceof java.lang.reflect.ParameterizedType p && p.getRawType() instanceof Class<?> c) return c;
		return null;
	}

	private static Class<?> elementClass(java.lang.reflect.Type list) {
		if (list instanceof java.lang.reflect.ParameterizedType p && p.getActualTypeArguments().length == 1)
			return rawClass(p.getActualTypeArguments()[0]);
		return null;
	}

	/** Prompts may contain commas, so a list of prompts is separated by '|' when it has one. */
	private static List<String> splitList(String v) {
		return List.of(v.contains("|") ? v.split("\\|") : v.split(","));
	}

	private static JsonElement scalar(String v) {
		if (v.equals("true") || v.equals("false")) return new JsonPrimitive(Boolean.parseBoolean(v));
		try {
			return new JsonPrimitive(Long.parseLong(v));
		}
		catch (NumberFormatException ignored) {
			// not an integer
		}
		try {
			return new JsonPrimitive(Double.parseDouble(v));
		}
		catch (NumberFormatException ignored) {
			return new JsonPrimitive(v);
		}
	}

	/**
	 * Overlays {@code user} onto {@code base} key by key. Unknown keys and values of the wrong type are collected in
	 * {@code problems} (and the default kept), so that a file is fixed in one go; {@code root} is the whole config,
	 * for suggestions.
	 */
	private static void merge(JsonObject base, JsonObject user, String prefix, JsonObject root, List<String> problems) {
		for (Map.Entry<String, JsonElement> e : user.entrySet()) {
			String key = prefix + e.getKey();
			if (!base.has(e.getKey())) {
				problems.add("unknown key '" + key + "'" + suggestion(key, root));
				continue;
			}
			JsonElement have = base.get(e.getKey());
			JsonElement give = e.getValue();
			if (have.isJsonObject()) {
				if (!give.isJsonObject()) problems.add(key + " must be an object, found " + give);
				else merge(have.getAsJsonObject(), give.getAsJsonObject(), key + ".", root, problems);
				continue;
			}
			String problem = typeProblem(key, KEY_TYPES.get(key), give);
			if (problem != null) problems.add(problem);
			else base.add(e.getKey(), give);
		}
	}

	/** Why {@code v} cannot be a value of {@code type} for {@code key}, or null when it can. */
	private static String typeProblem(String key, java.lang.reflect.Type type, JsonElement v) {
		Class<?> raw = rawClass(type);
		if (raw == null) return null;
		if (v.isJsonNull()) return raw.isPrimitive() || List.class.isAssignableFrom(raw)
			? key + " must be " + kindOf(raw) + ", found null" : null;
		if (List.class.isAssignableFrom(raw)) {
			if (!v.isJsonArray()) return key + " must be a list, found " + v;
			Class<?> el = elementClass(type);
			for (JsonElement x : v.getAsJsonArray()) {
				if (x.isJsonNull() || typeProblem(key, el, x) != null)
					return key + " must be a list of " + kindOf(el).replaceFirst("^an? ", "") + "s, found " + v;
			}
			return null;
		}
		JsonPrimitive p = v.isJsonPrimitive() ? v.getAsJsonPrimitive() : null;
		if (raw == String.class || raw == Method.class) return p != null && p.isString() ? null
			: key + " must be a string, found " + v;
		if (raw == boolean.class || raw == Boolean.class) return p != null && p.isBoolean() ? null
			: key + " must be true or false, found " + v;
		boolean integer = raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class;
		if (p == null || !p.isNumber()) return key + " must be " + kindOf(raw) + ", found " + v;
		if (!integer) return null;
		java.math.BigDecimal b = p.getAsBigDecimal();
		boolean integral = b.signum() == 0 || b.stripTrailingZeros().scale() <= 0;
		boolean isInt = raw == int.class || raw == Integer.class;
		java.math.BigDecimal max = java.math.BigDecimal.valueOf(isInt ? Integer.MAX_VALUE : Long.MAX_VALUE);
		java.math.BigDecimal min = java.math.BigDecimal.valueOf(isInt ? Integer.MIN_VALUE : Long.MIN_VALUE);
		if (!integral || b.compareTo(max) > 0 || b.compareTo(min) < 0)
			return key + " must be an integer" + (isInt ? " up to " + Integer.MAX_VALUE : "") + ", found " + v;
		return null;
	}

	private static String kindOf(Class<?> raw) {
		if (raw == null) return "a value";
		if (List.class.isAssignableFrom(raw)) return "a list";
		if (raw == String.class || raw == Method.class) return "a string";
		if (raw == boolean.class || raw == Boolean.class) return "true or false";
		if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) return "an integer";
		if (raw.isRecord()) return "an object";
		return "a number";
	}


	/** The known key closest to {@code key}'s last part (on a tie, one of the same section), as a hint. */
	private static String suggestion(String key, JsonObject root) {
		String leaf = key.substring(key.lastIndexOf('.') + 1);
		String section = key.substring(0, key.lastIndexOf('.') + 1);
		List<String> all = new ArrayList<>();
		collectKeys(root, "", all);
		String best = null;
		int bestD = Integer.MAX_VALUE;
		for (String k : all) {
			int d = distance(leaf, k.substring(k.lastIndexOf('.') + 1));
			if (d < bestD || d == bestD && k.startsWith(section) && !best.startsWith(section)) {
				bestD = d;
				best = k;
			}
		}
		return best != null && bestD <= Math.max(2, leaf.length() / 3) ? " (did you mean '" + best + "'?)" : "";
	}

	private static void collectKeys(JsonObject o, String prefix, List<String> out) {
		for (Map.Entry<String, JsonElement> e : o.entrySet()) {
			out.add(prefix + e.getKey());
			if (e.getValue().isJsonObject()) collectKeys(e.getValue().getAsJsonObject(), prefix + e.getKey() + ".", out);
		}
	}

	private static int distance(String a, String b) {
		int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
		for (int j = 0; j <= b.length(); j++) prev[j] = j;
		for (int i = 1; i <= a.length(); i++) {
			cur[0] = i;
			for (int j = 1; j <= b.length(); j++)
				cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
			int[] t = prev;
			prev = cur;
			cur = t;
		}
		return prev[b.length()];
	}

	static Method parseMethod(String s) {
		String v = s.trim().toLowerCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
		return switch (v) {
			case "textual_inversion", "ti" -> Method.TEXTUAL_INVERSION;
			case "lora", "dora" -> Method.LORA;
			default -> throw new IllegalArgumentException("unknown method '" + s + "' (textual_inversion or lora)");
		};
	}

	/** Range checks of every value; errors name the origin and the key, after the {@code earlier} problems. */
	private void validate(String where, List<String> earlier) {
		Check c = new Check(where, earlier);
		if (outputName != null && (outputName.isBlank() || !outputName.matches("[A-Za-z0-9._+-]+") || outputName.startsWith(".")))
			c.fail("output_name '" + outputName + "' must be a plain file name (letters, digits, . _ + -)");
		c.range("steps", steps, 0, 10_000_000);
		c.range("epochs", epochs, 0, 1_000_000);
		if (steps == 0 && epochs == 0) c.fail("steps or epochs must be set (both are 0)");
		c.range("batch_size", batchSize, 1, 4096);
		c.range("gradient_accumulation_steps", gradientAccumulationSteps, 1, 4096);
		c.oneOf("mixed_precision", mixedPrecision, "no", "fp16");
		c.range("clip_skip", clipSkip, 1, 24);
		if (baseLoras == null) c.fail("base_loras must be a list (empty for none)");
		else for (String l : baseLoras)
			if (l == null || l.isBlank()) c.fail("base_loras holds an empty entry");
		c.notNull("data", data);
		c.range("data.resolution", data.resolution, 0, 8192);
		if (data.resolution != 0 && data.resolution < 8) c.fail("data.resolution must be 0 (native) or at least 8");
		c.range("data.bucket_step", data.bucketStep, 0, 1024);
		c.range("data.min_bucket_side", data.minBucketSide, 0, 16384);
		c.range("data.max_bucket_side", data.maxBucketSide, 0, 16384);
		if (data.minBucketSide > 0 && data.maxBucketSide > 0 && data.minBucketSide > data.maxBucketSide)
			c.fail("data.min_bucket_side (" + data.minBucketSide + ") is above data.max_bucket_side (" + data.maxBucketSide + ")");
		c.oneOf("data.crop", data.crop, "center", "random");
		c.range("data.repeats", data.repeats, 1, 10_000);
		c.oneOf("data.cache_latents", data.cacheLatents, "memory", "disk", "off");
		c.finite("data.regularization_weight", data.regularizationWeight, 0, 1e6);
		c.notNull("captions", captions);
		c.oneOf("captions.mode", captions.mode, "dataset", "object", "style");
		c.finite("captions.dropout", captions.dropout, 0, 1);
		c.range("captions.keep_tags", captions.keepTags, 0, 1000);
		c.finite("captions.tag_dropout", captions.tagDropout, 0, 0.99);
		c.notNull("optimizer", optimizer);
		c.oneOf("optimizer.type", optimizer.type, "adamw", "prodigy");
		c.finite("optimizer.learning_rate", optimizer.learningRate, 0, 1e6);
		if (optimizer.learningRate <= 0) c.fail("optimizer.learning_rate must be above 0");
		if (optimizer.textEncoderLearningRate != null) c.finite("optimizer.text_encoder_learning_rate",
			optimizer.textEncoderLearningRate, 0, 1e6);
		c.finite("optimizer.beta1", optimizer.beta1, 0, 0.999999);
		c.finite("optimizer.beta2", optimizer.beta2, 0, 0.99999999);
		c.finite("optimizer.epsilon", optimizer.epsilon, 0, 1);
		if (optimizer.epsilon <= 0) c.fail("optimizer.epsilon must be above 0");
		c.finite("optimizer.weight_decay", optimizer.weightDecay, 0, 10);
		c.finite("optimizer.max_grad_norm", optimizer.maxGradNorm, 0, 1e9);
		c.finite("optimizer.prodigy_d0", optimizer.prodigyD0, 1e-30, 1e6);
		c.finite("optimizer.prodigy_d_coef", optimizer.prodigyDCoef, 1e-9, 1e6);
		c.finite("optimizer.prodigy_growth_rate", optimizer.prodigyGrowthRate, 0, 1e30);
		c.notNull("schedule", schedule);
		c.oneOf("schedule.type", schedule.type, "constant", "constant_with_warmup", "linear", "cosine",
			"cosine_with_restarts", "polynomial");
		c.range("schedule.warmup_steps", schedule.warmupSteps, 0, 10_000_000);
		c.finite("schedule.cycles", schedule.cycles, 0, 1e6);
		c.finite("schedule.power", schedule.power, 0, 1e3);
		c.notNull("loss", loss);
		c.finite("loss.min_snr_gamma", loss.minSnrGamma, 0, 1e6);
		c.finite("loss.noise_offset", loss.noiseOffset, 0, 10);
		if (loss.predictionType != null) c.oneOf("loss.prediction_type", loss.predictionType, "epsilon", "v_prediction");
		c.notNull("ema", ema);
		c.finite("ema.decay", ema.decay, 0, 1);
		if (ema.enabled && ema.decay >= 1) c.fail("ema.decay must be below 1");
		c.notNull("validation", validation);
		if (validation.prompts == null) c.fail("validation.prompts must be a list (may be empty)");
		if (validation.seeds == null || validation.seeds.isEmpty()) c.fail("validation.seeds must list at least one seed");
		c.range("validation.every_steps", validation.everySteps, 0, 10_000_000);
		c.range("validation.steps", validation.steps, 1, 1000);
		c.finite("validation.guidance_scale", validation.guidanceScale, 0, 100);
		c.range("validation.width", validation.width, 0, 8192);
		c.range("validation.height", validation.height, 0, 8192);
		c.range("validation.loss_every_steps", validation.lossEverySteps, 0, 10_000_000);
		c.notNull("checkpoints", checkpoints);
		c.range("checkpoints.every_steps", checkpoints.everySteps, 0, 10_000_000);
		c.range("checkpoints.keep", checkpoints.keep, 0, 100_000);
		c.notNull("textual_inversion", textualInversion);
		c.notNull("lora", lora);
		if (method == Method.TEXTUAL_INVERSION) {
			if (textualInversion.token == null || textualInversion.token.isBlank())
				c.fail("textual_inversion.token must be a non-empty placeholder such as <my-cell>");
			else if (textualInversion.token.chars().anyMatch(Character::isWhitespace))
				c.fail("textual_inversion.token '" + textualInversion.token + "' must not contain spaces");
			c.range("textual_inversion.num_vectors", textualInversion.numVectors, 1, 75);
			if (textualInversion.initializerFile == null
				&& (textualInversion.initializer == null || textualInversion.initializer.isBlank()))
				c.fail("textual_inversion.initializer (a word) or textual_inversion.initializer_file must be given");
		}
		else {
			c.range("lora.rank", lora.rank, 1, 4096);
			c.finite("lora.alpha", lora.alpha, 1e-9, 1e6);
			c.range("lora.conv_rank", lora.convRank, 0, 4096);
			c.finite("lora.conv_alpha", lora.convAlpha, 1e-9, 1e6);
			if (lora.targets == null || lora.targets.isBlank()) c.fail("lora.targets must be attention, extended or a regex");
			else if (!lora.targets.equals("attention") && !lora.targets.equals("extended")) {
				try {
					java.util.regex.Pattern.compile(lora.targets);
				}
				catch (java.util.regex.PatternSyntaxException e) {
					c.fail("lora.targets is neither attention, extended nor a valid regular expression: "
						+ e.getDescription());
				}
			}
			c.range("lora.token_vectors", lora.tokenVectors, 1, 75);
			if (lora.token != null && lora.token.chars().anyMatch(Character::isWhitespace))
				c.fail("lora.token '" + lora.token + "' must not contain spaces");
			if (lora.tokenLearningRate != null) c.finite("lora.token_learning_rate", lora.tokenLearningRate, 0, 1e6);
		}
		c.throwIfAny();
	}

	/** Collects every range problem, so that a config file is fixed in one go. */
	private static final class Check {

		private final String where;
		private final List<String> problems;

		Check(String where, List<String> earlier) {
			this.where = where;
			this.problems = new ArrayList<>(earlier);
		}

		void fail(String p) {
			problems.add(p);
		}

		void notNull(String key, Object o) {
			if (o == null) fail(key + " must be an object, not null");
		}

		void range(String key, long v, long min, long max) {
			if (v < min || v > max) fail(key + " must be in " + min + ".." + max + ", found " + v);
		}

		void finite(String key, double v, double min, double max) {
			if (!Double.isFinite(v) || v < min || v > max) fail(key + " must be a number in [" + min + ", " + max + "], found " + v);
		}

		void oneOf(String key, String v, String... allowed) {
			if (v == null || !List.of(allowed).contains(v)) fail(key + " must be one of " + String.join(", ", allowed)
				+ ", found " + (v == null ? "null" : "'" + v + "'"));
		}

		void throwIfAny() {
			if (!problems.isEmpty()) throw report(where, problems);
		}

		static TrainingException report(String where, List<String> problems) {
			return new TrainingException(where + ": " + (problems.size() == 1 ? problems.get(0)
				: problems.size() + " problems:\n  " + String.join("\n  ", problems)));
		}
	}
}
