package io.github.diffusej.train;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options the training faces expose (the flags of {@code diffusej train-ti} / {@code train-lora}, the fields
 * of Fiji's Train Textual Inversion and Train LoRA) and the one place they become a {@link TrainConfig}: the
 * method's defaults, then a config file (or, on resume, the run's own {@code config.json}), then these options as
 * dotted-key overrides, then {@link #settings} (any other key). A face fills in what its user gave; {@code null}
 * means "not given", so the config's value stays. Every path is checked before anything is loaded, and errors name
 * the option as the face calls it ({@link Names}: {@code --model} on the command line, {@code model} in a macro).
 *
 * <p>Options of the other method are ignored: {@link #token} and {@link #init} are the placeholder and its
 * initializer for textual inversion, the new token (pivotal tuning) and its initializer for a LoRA; the LoRA fields
 * are read only for a LoRA run.
 */
public final class TrainOptions {

	/**
	 * How a face names an option in its messages. The canonical names are the CLI's long option names without
	 * {@code --} ({@code model, out, resume, lr, batch-size, init-file, reg-dataset, set, ...}; {@code token-init} is a
	 * LoRA's {@link #init}).
	 */
	public interface Names {

		/** The face's name of an option, e.g. {@code --out} or {@code run_dir}. */
		String of(String option);

		/** How the user resumes the run in {@code run} with this face. */
		String resumeHint(Path run);
	}

	/** The command line's names: {@code --model}, {@code --out}, ... */
	public static final Names CLI = new Names() {
		@Override
		public String of(String option) {
			return "--" + option;
		}

		@Override
		public String resumeHint(Path run) {
			return "--resume " + run;
		}
	};

	/** An option that is wrong (a bad value, a missing path, a conflict), as opposed to a config file that is. */
	public static final class OptionException extends TrainingException {

		private static final long serialVersionUID = 1L;

		public OptionException(String message) {
			super(message);
		}
	}

	/**
	 * A resolved run.
	 *
	 * @param config the config of the run (to be written to {@code runDir/config.json})
	 * @param runDir the run folder
	 * @param resume whether the run continues from the newest checkpoint in {@code runDir}
	 */
	public record Resolved(TrainConfig config, Path runDir, boolean resume) {}

	// -- the run --
	public Path model, tokenizer, dataset;
	/** The folder of a new run. */
	public Path out;
	/** A config file (any subset of a run's config.json) under the options. */
	public Path config;
	/** The folder of a run to continue; its own config.json is used (the options given still override it). */
	public Path resume;
	public Integer steps, epochs, batchSize, accumulation, warmup, resolution, validationEvery, checkpointEvery;
	public Double learningRate;
	public String optimizer, scheduler, mixedPrecision;
	public Long seed;
	public Boolean gradientCheckpointing;
	/** Validation prompts ({@code {token}} = the trigger, {@code {caption}} = a training caption); empty = none. */
	public List<String> validationPrompts;
	/** File stem of the results ({@code output_name}). */
	public String name;
	/** LoRA files applied frozen under what is trained, {@code FILE} or {@code FILE:WEIGHT} ({@code base_loras}). */
	public List<String> baseLoras;
	/** Any other config keys, dotted ({@code optimizer.weight_decay} -> {@code 0}), applied last in this order. */
	public final Map<String, String> settings = new LinkedHashMap<>();

	// -- captions (both methods) --
	public String trigger, replaceWord;
	public Double captionDropout;
	public Boolean shuffleTags;
	public Integer keepTags;

	// -- textual inversion; token and init also for a LoRA's new token --
	public String token, init;
	public Path initFile;
	public Integer vectors;
	/** object, style or dataset. */
	public String captions;

	// -- LoRA --
	public Integer rank, convRank;
	public Double alpha, convAlpha, textEncoderLearningRate, regWeight;
	public Boolean dora, textEncoder, bundleEmbedding, peft;
	/** attention, extended or a regular expression over UNet module paths. */
	public String targets;
	public Path regDataset;

	/**
	 * The config of the run these options describe, checked: paths exist, a new run does not overwrite an old
	 * one, a resumed run has a config, the config is for {@code method}, every value is in range. Nothing is loaded.
	 *
	 * @throws OptionException for a wrong option (the message names it as {@code names} does)
	 * @throws TrainingException for a config file that cannot be used (the message names the file and the key)
	 */
	public Resolved resolve(TrainConfig.Method method, Names names) throws IOException {
		TrainConfig c;
		Path runDir;
		if (resume != null) {
			existingFolder(names.of("resume"), resume);
			if (!Files.isRegularFile(resume.resolve("config.json"))) throw new OptionException(names.of("resume") + " "
				+ resume + ": not a run folder (no config.json)");
			if (config != null) throw new OptionException("a resumed run uses its own config.json; leave out "
				+ names.of("config"));
			if (out != null && !out.toAbsolutePath().normalize().equals(resume.toAbsolutePath().normalize()))
				throw new OptionException("a resumed run continues in its own folder; leave out " + names.of("out")
					+ " (or give the same folder)");
			c = TrainConfig.read(resume.resolve("config.json"), method);
			runDir = resume;
		}
		else {
			c = config == null ? TrainConfig.defaults(method)
				: TrainConfig.read(existingFile(names.of("config"), config), method);
			if (out == null) throw new OptionException(names.of("out") + " is required (the run folder)");
			if (Files.exists(out) && !Files.isDirectory(out)) throw new OptionException(names.of("out") + " " + out
				+ " is a file, not a folder");
			if (Files.isRegularFile(out.resolve("config.json"))) throw new OptionException(names.of("out") + " " + out
				+ " already holds a training run: resume it (" + names.resumeHint(out) + "), or choose another folder");
			runDir = out;
		}
		if (c.method() != method) throw new OptionException((resume != null ? resume.resolve("config.json") : config)
			+ ": the config is for " + c.method().label() + " (method: " + c.method().configName() + "), not "
			+ method.label());
		for (Setting e : overrides(method, names)) {
			try {
				c = c.with(e.key(), e.value());
			}
			catch (TrainingException ex) {
				String why = ex.getMessage(), own = "setting " + e.key() + ": ";
				throw new OptionException(names.of(e.option()) + ": " + (why.startsWith(own) ? why.substring(own.length())
					: why));
			}
		}
		if (c.model() == null) throw new OptionException(names.of("model") + " is required (or a config file that names one)");
		if (c.dataset() == null) throw new OptionException(names.of("dataset")
			+ " is required (or a config file that names one)");
		if (resume == null) {
			existing(names.of("model") + " (from the config file)", Path.of(c.model()));
			existing(names.of("dataset") + " (from the config file)", Path.of(c.dataset()));
		}
		return new Resolved(c, runDir, resume != null);
	}

	/**
	 * One config override.
	 *
	 * @param option the canonical name of the option it comes from ({@code set} for {@link #settings})
	 * @param key the dotted config key
	 * @param value the value as {@link TrainConfig#with(String, String)} parses it
	 */
	public record Setting(String option, String key, String value) {}

	/** The options as config overrides, in the order they are applied; paths are checked. */
	public List<Setting> overrides(TrainConfig.Method method, Names names) {
		List<Setting> o = new ArrayList<>();
		if (model != null) add(o, "model", "model", absolute(existing(names.of("model"), model)));
		if (tokenizer != null) add(o, "tokenizer", "tokenizer", absolute(existingFolder(names.of("tokenizer"), tokenizer)));
		if (dataset != null) add(o, "dataset", "dataset", absolute(existing(names.of("dataset"), dataset)));
		if (steps != null) add(o, "steps", "steps", steps);
		if (epochs != null) {
			add(o, "epochs", "epochs", epochs);
			if (steps == null) add(o, "epochs", "steps", 0); // epochs decide
		}
		if (batchSize != null) add(o, "batch-size", "batch_size", batchSize);
		if (accumulation != null) add(o, "accumulation", "gradient_accumulation_steps", accumulation);
		if (learningRate != null) add(o, "lr", "optimizer.learning_rate", learningRate);
		if (optimizer != null) add(o, "optimizer", "optimizer.type", optimizer);
		if (scheduler != null) add(o, "scheduler", "schedule.type", scheduler);
		if (warmup != null) add(o, "warmup", "schedule.warmup_steps", warmup);
		if (resolution != null) add(o, "resolution", "data.resolution", resolution);
		if (seed != null) add(o, "seed", "seed", seed);
		if (mixedPrecision != null) add(o, "mixed-precision", "mixed_precision", mixedPrecision);
		if (gradientCheckpointing != null) add(o, "gradient-checkpointing", "gradient_checkpointing", gradientCheckpointing);
		if (validationPrompts != null) add(o, "validation-prompt", "validation.prompts", new Gson().toJson(validationPrompts));
		if (baseLoras != null) add(o, "base-lora", "base_loras", new Gson().toJson(baseLoras.stream()
			.map(l -> baseLora(names.of("base-lora"), l)).toList()));
		if (validationEvery != null) add(o, "validation-every", "validation.every_steps", validationEvery);
		if (checkpointEvery != null) add(o, "checkpoint-every", "checkpoints.every_steps", checkpointEvery);
		if (name != null) add(o, "name", "output_name", name);
		if (trigger != null) add(o, "trigger", "captions.trigger", trigger);
		if (replaceWord != null) add(o, "replace-word", "captions.replace_word", replaceWord);
		if (captionDropout != null) add(o, "caption-dropout", "captions.dropout", captionDropout);
		if (shuffleTags != null) add(o, "shuffle-tags", "captions.shuffle_tags", shuffleTags);
		if (keepTags != null) add(o, "keep-tags", "captions.keep_tags", keepTags);
		if (method == TrainConfig.Method.TEXTUAL_INVERSION) {
			if (token != null) add(o, "token", "textual_inversion.token", token);
			if (init != null) {
				add(o, "init", "textual_inversion.initializer", init);
				// the dataset's own captions name the concept by the init word: that word becomes the token
				if ((captions == null || captions.equals("dataset")) && replaceWord == null)
					add(o, "init", "captions.replace_word", init);
			}
			if (initFile != null) add(o, "init-file", "textual_inversion.initializer_file",
				absolute(existingFile(names.of("init-file"), initFile)));
			if (vectors != null) add(o, "vectors", "textual_inversion.num_vectors", vectors);
			if (captions != null) add(o, "captions", "captions.mode", captions);
		}
		else {
			if (rank != null) {
				add(o, "rank", "lora.rank", rank);
				if (alpha == null) add(o, "rank", "lora.alpha", rank); // scale 1, as kohya's default alpha = dim
			}
			if (alpha != null) add(o, "alpha", "lora.alpha", alpha);
			if (convRank != null) add(o, "conv-rank", "lora.conv_rank", convRank);
			if (convAlpha != null) add(o, "conv-alpha", "lora.conv_alpha", convAlpha);
			if (dora != null) add(o, "dora", "lora.dora", dora);
			if (targets != null) add(o, "targets", "lora.targets", targets);
			if (textEncoder != null) add(o, "text-encoder", "lora.text_encoder", textEncoder);
			if (textEncoderLearningRate != null) add(o, "text-encoder-lr", "optimizer.text_encoder_learning_rate",
				textEncoderLearningRate);
			if (token != null) add(o, "token", "lora.token", token);
			if (init != null) add(o, "token-init", "lora.token_initializer", init);
			if (bundleEmbedding != null) add(o, "bundle-embedding", "lora.bundle_embedding", bundleEmbedding);
			if (regDataset != null) add(o, "reg-dataset", "data.regularization_dataset",
				absolute(existing(names.of("reg-dataset"), regDataset)));
			if (regWeight != null) add(o, "reg-weight", "data.regularization_weight", regWeight);
			if (peft != null) add(o, "peft", "lora.peft_format", peft);
		}
		settings.forEach((k, v) -> add(o, "set", k, v));
		return o;
	}

	/** A base LoRA entry as {@code ABSOLUTE_FILE:WEIGHT}, parsed (file exists, weight a number) as generation parses it. */
	private static String baseLora(String option, String entry) {
		try {
			return io.github.diffusej.generate.RequestStrings.loras(entry).stream()
				.map(r -> r.file().toAbsolutePath() + ":" + r.weight()).collect(java.util.stream.Collectors.joining(";"));
		}
		catch (IllegalArgumentException e) {
			throw new OptionException(option + " " + entry + ": " + e.getMessage());
		}
	}

	private static void add(List<Setting> o, String option, String key, Object value) {
		o.add(new Setting(option, key, value.toString()));
	}

	/**
	 * Parses {@code key=value} pairs separated by {@code ;} or new lines (a face's "other settings" field) into
	 * {@link #settings}; {@code what} names the field in errors.
	 */
	public TrainOptions settings(String text, String what) {
		if (text == null) return this;
		for (String part : text.split("[;\\n]")) {
			String kv = part.strip();
			if (kv.isEmpty()) continue;
			setting(kv, what);
		}
		return this;
	}

	/** Adds one {@code key=value} to {@link #settings}; {@code what} names its origin in errors. */
	public TrainOptions setting(String keyValue, String what) {
		int eq = keyValue.indexOf('=');
		if (eq <= 0) throw new OptionException(what + " needs KEY=VALUE (a dotted config key, e.g. "
			+ "optimizer.weight_decay=0), not '" + keyValue + "'");
		settings.put(keyValue.substring(0, eq).strip(), keyValue.substring(eq + 1).strip());
		return this;
	}

	private static String absolute(Path p) {
		return p.toAbsolutePath().normalize().toString();
	}

	/** An input path that must exist (a file or a folder). */
	public static Path existing(String option, Path p) {
		if (p != null && !Files.exists(p)) throw new OptionException(option + " " + p + ": no such file or folder");
		return p;
	}

	/** An input path that must be a regular file. */
	public static Path existingFile(String option, Path p) {
		existing(option, p);
		if (p != null && !Files.isRegularFile(p)) throw new OptionException(option + " " + p + ": not a file");
		return p;
	}

	/** An input path that must be a folder. */
	public static Path existingFolder(String option, Path p) {
		existing(option, p);
		if (p != null && !Files.isDirectory(p)) throw new OptionException(option + " " + p + ": not a folder");
		return p;
	}
}
