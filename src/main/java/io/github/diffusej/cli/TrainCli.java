package io.github.diffusej.cli;

import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.Trainer;
import io.github.diffusej.train.TrainingException;
import io.github.diffusej.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code diffusej train-ti} and {@code diffusej train-lora}: a training run from a config file and/or flags, or
 * the resumption of one. The run is defined by a {@link TrainConfig}: the method's defaults, then
 * {@code --config FILE} (a run's {@code config.json}, or any subset of its keys), then the flags, then
 * {@code --set key=value} for any other key; the result is written to {@code RUN/config.json}, so that
 * {@code --config RUN/config.json} repeats the run. Progress goes to stderr, results to stdout
 * ({@link TrainingConsole}); Ctrl-C or a cluster's SIGTERM writes a resumable checkpoint.
 */
abstract class TrainCli extends Subcommand {

	@Option(names = "--model", paramLabel = "DIR|FILE", description = "the base model: a diffusers folder or a single " +
		".safetensors checkpoint (SD 1.x/2.x)")
	Path model;

	@Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer folder for single-file checkpoints")
	Path tokenizer;

	@Option(names = "--dataset", paramLabel = "PATH", description = "a dataset: a DiffuseJ dataset folder, a data.jsonl / " +
		"metadata.jsonl file, or a folder of images with .txt captions")
	Path dataset;

	@Option(names = "--out", paramLabel = "RUN", description = "the run folder (with --resume: the run's own folder)")
	Path out;

	@Option(names = "--config", paramLabel = "FILE", description = "a config file (JSON; e.g. an earlier run's " +
		"config.json); flags override its values")
	Path config;

	@Option(names = "--resume", paramLabel = "RUN", description = "continue the run in this folder from its newest " +
		"checkpoint (flags such as --steps may change its config)")
	Path resume;

	@Option(names = "--steps", paramLabel = "N", description = "optimizer steps")
	Integer steps;

	@Option(names = "--epochs", paramLabel = "N", description = "passes over the dataset (instead of --steps)")
	Integer epochs;

	@Option(names = "--batch-size", paramLabel = "N", description = "images per micro-batch")
	Integer batchSize;

	@Option(names = "--accumulation", paramLabel = "N", description = "micro-batches per optimizer step")
	Integer accumulation;

	@Option(names = {"--lr", "--learning-rate"}, paramLabel = "LR", description = "learning rate")
	Double lr;

	@Option(names = "--optimizer", paramLabel = "NAME", description = "adamw or prodigy")
	String optimizer;

	@Option(names = "--scheduler", paramLabel = "NAME", description = "constant, constant_with_warmup, linear, cosine, " +
		"cosine_with_restarts or polynomial")
	String scheduler;

	@Option(names = "--warmup", paramLabel = "N", description = "warm-up steps")
	Integer warmup;

	@Option(names = "--resolution", paramLabel = "PX", description = "training resolution (the pixel-area budget " +
		"of the aspect buckets; default: the model's native size)")
	Integer resolution;

	@Option(names = "--seed", paramLabel = "N", description = "seed of the run")
	Long seed;

	@Option(names = "--mixed-precision", paramLabel = "MODE", description = "no or fp16 (frozen weights in float16; " +
		"for GPUs)")
	String mixedPrecision;

	@Option(names = "--gradient-checkpointing", description = "recompute UNet blocks in backward to save memory")
	Boolean gradientCheckpointing;

	@Option(names = "--validation-prompt", paramLabel = "TEXT", description = "a validation prompt ({token} = the " +
		"trigger); repeatable; images at the start, every --validation-every steps and at the end")
	List<String> validationPrompts = new ArrayList<>();

	@Option(names = "--base-lora", paramLabel = "FILE[:WEIGHT]", description = "a LoRA file applied, frozen, under " +
		"what is trained (train on top of it, or validate with a style LoRA); repeatable")
	List<String> baseLoras = new ArrayList<>();

	@Option(names = "--validation-every", paramLabel = "N", description = "steps between validations")
	Integer validationEvery;

	@Option(names = "--checkpoint-every", paramLabel = "N", description = "steps between checkpoints")
	Integer checkpointEvery;

	@Option(names = "--name", paramLabel = "NAME", description = "file name of the results (default: from the token)")
	String name;

	@Option(names = "--set", paramLabel = "KEY=VALUE", description = "any other config key, dotted, e.g. " +
		"--set optimizer.weight_decay=0 --set data.flip=true; repeatable")
	List<String> sets = new ArrayList<>();

	@Mixin
	SweepOptions sweep;

	private TrainConfig resolved;
	private Path runDir;

	/** The training method of this subcommand. */
	abstract TrainConfig.Method method();

	/** The method's own flags as config overrides (dotted keys). */
	abstract void methodOverrides(Map<String, String> o);

	@Override
	void validate() throws IOException {
		TrainConfig c;
		if (resume != null) {
			existingFolder("--resume", resume);
			if (!Files.isRegularFile(resume.resolve("config.json"))) throw CliException.usage("--resume " + resume
				+ ": not a run folder (no config.json)");
			if (config != null) throw CliException.usage("--resume uses the run's own config.json; leave out --config");
			if (out != null && !out.toAbsolutePath().normalize().equals(resume.toAbsolutePath().normalize()))
				throw CliException.usage("--resume continues in its own folder; leave out --out (or give the same folder)");
			c = read(resume.resolve("config.json"));
			runDir = resume;
		}
		else {
			c = config == null ? TrainConfig.defaults(method()) : read(existingFile("--config", config));
			if (out == null) throw CliException.usage("--out RUN is required (the run folder)");
			if (Files.isRegularFile(out.resolve("config.json"))) throw CliException.usage("--out " + out + " already holds "
				+ "a training run: resume it with --resume " + out + ", or choose another folder");
			runDir = out;
		}
		if (c.method() != method()) throw CliException.usage("the config is for " + c.method().label() + ", not "
			+ method().label() + "; use diffusej train-" + (c.method() == TrainConfig.Method.LORA ? "lora" : "ti"));
		Map<String, String> o = new LinkedHashMap<>();
		if (model != null) o.put("model", existing("--model", model).toAbsolutePath().toString());
		if (tokenizer != null) o.put("tokenizer", existingFolder("--tokenizer", tokenizer).toAbsolutePath().toString());
		if (dataset != null) o.put("dataset", existing("--dataset", dataset).toAbsolutePath().toString());
		if (steps != null) o.put("steps", steps.toString());
		if (epochs != null) {
			o.put("epochs", epochs.toString());
			if (steps == null) o.put("steps", "0");
		}
		if (batchSize != null) o.put("batch_size", batchSize.toString());
		if (accumulation != null) o.put("gradient_accumulation_steps", accumulation.toString());
		if (lr != null) o.put("optimizer.learning_rate", lr.toString());
		if (optimizer != null) o.put("optimizer.type", optimizer);
		if (scheduler != null) o.put("schedule.type", scheduler);
		if (warmup != null) o.put("schedule.warmup_steps", warmup.toString());
		if (resolution != null) o.put("data.resolution", resolution.toString());
		if (seed != null) o.put("seed", seed.toString());
		if (mixedPrecision != null) o.put("mixed_precision", mixedPrecision);
		if (gradientCheckpointing != null) o.put("gradient_checkpointing", gradientCheckpointing.toString());
		if (!validationPrompts.isEmpty()) o.put("validation.prompts", com.google.gson.JsonParser.parseString(
			new com.google.gson.Gson().toJson(validationPrompts)).toString());
		if (!baseLoras.isEmpty()) {
			com.google.gson.JsonArray a = new com.google.gson.JsonArray();
			for (String l : baseLoras) {
				try {
					RequestStrings.loras(l); // the file exists and the weight is a number: said before anything loads
				}
				catch (IllegalArgumentException e) {
					throw CliException.usage("--base-lora " + l + ": " + e.getMessage());
				}
				int colon = l.lastIndexOf(':');
				boolean weighted = colon > 0 && l.substring(colon + 1).matches("[-+0-9.eE]+");
				String file = weighted ? l.substring(0, colon) : l;
				a.add(Path.of(file).toAbsolutePath() + (weighted ? l.substring(colon) : ""));
			}
			o.put("base_loras", a.toString());
		}
		if (validationEvery != null) o.put("validation.every_steps", validationEvery.toString());
		if (checkpointEvery != null) o.put("checkpoints.every_steps", checkpointEvery.toString());
		if (name != null) o.put("output_name", name);
		methodOverrides(o);
		for (String kv : sets) {
			int eq = kv.indexOf('=');
			if (eq <= 0) throw CliException.usage("--set needs KEY=VALUE, not '" + kv + "'");
			o.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
		}
		try {
			for (Map.Entry<String, String> e : o.entrySet()) c = c.with(e.getKey(), e.getValue());
		}
		catch (TrainingException e) {
			throw CliException.usage(e.getMessage());
		}
		if (c.model() == null) throw CliException.usage("--model is required (or a config file that names one)");
		if (c.dataset() == null) throw CliException.usage("--dataset is required (or a config file that names one)");
		if (resume == null) {
			existing("model (from --config)", Path.of(c.model()));
			existing("dataset (from --config)", Path.of(c.dataset()));
		}
		outputFolder(resume != null ? "--resume" : "--out", runDir);
		resolved = c;
	}

	private static TrainConfig read(Path file) throws IOException {
		try {
			return TrainConfig.read(file);
		}
		catch (TrainingException e) {
			throw CliException.badInput(e.getMessage());
		}
	}

	@Override
	int execute() throws IOException {
		Engines.start(EngineOptions.fromEnvironment(), err()::println);
		TrainingConsole console = TrainingConsole.of(out(), err());
		TrainingResult r;
		try (Trainer t = open(console)) {
			r = t.run();
		}
		return switch (r.status()) {
			case FINISHED -> ExitCodes.OK;
			case CANCELLED -> ExitCodes.INTERRUPTED;
			case FAILED -> ExitCodes.FAILED;
		};
	}

	private Trainer open(TrainingConsole console) throws IOException {
		try {
			return Trainer.open(resolved, runDir, resume != null, Engines.device(), console);
		}
		catch (TrainingException e) {
			throw CliException.badInput(e.getMessage());
		}
	}

	/** {@code diffusej train-ti}. */
	@Command(name = "train-ti", mixinStandardHelpOptions = true, sortOptions = false,
		description = "Train a textual-inversion embedding (a new token such as <my-cell>) on a captioned dataset.",
		footer = {"", "Example: diffusej train-ti --model sd15 --dataset cells/ --out runs/cell --token '<my-cell>' " +
			"--init cell --steps 2000", "Resume: diffusej train-ti --resume runs/cell [--steps 3000]",
			"Result: RUN/<name>.safetensors (emb_params) and RUN/learned_embeds.safetensors (diffusers); " +
				"RUN/best/ holds the lowest validation loss.", "", ExitCodes.HELP})
	static final class Ti extends TrainCli {

		@Option(names = "--token", paramLabel = "T", description = "the placeholder token, case-sensitive (e.g. '<my-cell>')")
		String token;

		@Option(names = "--init", paramLabel = "WORD", description = "initialise the vectors from this word or phrase " +
			"(e.g. cell)")
		String init;

		@Option(names = "--init-file", paramLabel = "FILE", description = "initialise the vectors from an embedding file")
		Path initFile;

		@Option(names = "--vectors", paramLabel = "N", description = "vectors of the embedding")
		Integer vectors;

		@Option(names = "--captions", paramLabel = "MODE", description = "object or style (the TI templates of the " +
			"diffusers example), or dataset (the dataset's captions with the token inserted)")
		String captions;

		@Override
		TrainConfig.Method method() {
			return TrainConfig.Method.TEXTUAL_INVERSION;
		}

		@Override
		void methodOverrides(Map<String, String> o) {
			if (token != null) o.put("textual_inversion.token", token);
			if (init != null) {
				o.put("textual_inversion.initializer", init);
				if (captions == null || captions.equals("dataset")) o.putIfAbsent("captions.replace_word", init);
			}
			if (initFile != null) o.put("textual_inversion.initializer_file",
				existingFile("--init-file", initFile).toAbsolutePath().toString());
			if (vectors != null) o.put("textual_inversion.num_vectors", vectors.toString());
			if (captions != null) o.put("captions.mode", captions);
		}
	}

	/** {@code diffusej train-lora}. */
	@Command(name = "train-lora", mixinStandardHelpOptions = true, sortOptions = false,
		description = "Train a LoRA or DoRA adapter (kohya format, loads in InvokeAI, ComfyUI, A1111 and diffusers).",
		footer = {"", "Example: diffusej train-lora --model sd15 --dataset cells/ --out runs/lora --rank 8 --trigger " +
			"'<my-cell>' --steps 1500", "Resume: diffusej train-lora --resume runs/lora",
			"Result: RUN/<name>.safetensors (kohya keys, ss_* metadata, ModelSpec); with --token also the token's " +
				"embedding file.", "", ExitCodes.HELP})
	static final class Lora extends TrainCli {

		@Option(names = "--rank", paramLabel = "R", description = "rank of the adapters")
		Integer rank;

		@Option(names = "--alpha", paramLabel = "A", description = "alpha (scale = alpha / rank)")
		Double alpha;

		@Option(names = "--conv-rank", paramLabel = "R", description = "rank of 3x3 conv adapters (kohya's conv_dim; " +
			"with --targets extended)")
		Integer convRank;

		@Option(names = "--conv-alpha", paramLabel = "A", description = "alpha of 3x3 conv adapters")
		Double convAlpha;

		@Option(names = "--dora", description = "weight-decomposed adapters (DoRA)")
		Boolean dora;

		@Option(names = "--targets", paramLabel = "SET", description = "attention (to_q, to_k, to_v, to_out.0), extended " +
			"(also proj_in/out, ff, resnet convs, time_emb_proj) or a regular expression over UNet module paths")
		String targets;

		@Option(names = "--text-encoder", description = "adapters on the text encoder too")
		Boolean textEncoder;

		@Option(names = "--text-encoder-lr", paramLabel = "LR", description = "the text-encoder adapters' learning rate")
		Double textEncoderLr;

		@Option(names = "--trigger", paramLabel = "WORD", description = "the trigger word put into the captions " +
			"(e.g. '<my-cell>'); with --token it is that token")
		String trigger;

		@Option(names = "--replace-word", paramLabel = "WORD", description = "a word of the captions that becomes the " +
			"trigger (otherwise the trigger is put first)")
		String replaceWord;

		@Option(names = "--token", paramLabel = "T", description = "also train a new token (pivotal tuning), saved " +
			"as an embedding file beside the LoRA")
		String token;

		@Option(names = "--token-init", paramLabel = "WORD", description = "initialise the new token from this word")
		String tokenInit;

		@Option(names = "--bundle-embedding", description = "put the new token's embedding inside the LoRA file too " +
			"(bundle_emb)")
		Boolean bundle;

		@Option(names = "--caption-dropout", paramLabel = "P", description = "probability of an empty caption")
		Double captionDropout;

		@Option(names = "--shuffle-tags", description = "shuffle comma-separated tags (keeping --keep-tags first)")
		Boolean shuffleTags;

		@Option(names = "--keep-tags", paramLabel = "N", description = "leading tags never shuffled")
		Integer keepTags;

		@Option(names = "--reg-dataset", paramLabel = "PATH", description = "a regularisation (class) dataset")
		Path regDataset;

		@Option(names = "--reg-weight", paramLabel = "W", description = "the loss weight of regularisation images")
		Double regWeight;

		@Option(names = "--peft", description = "also write the diffusers/PEFT layout (pytorch_lora_weights.safetensors)")
		Boolean peft;

		@Override
		TrainConfig.Method method() {
			return TrainConfig.Method.LORA;
		}

		@Override
		void methodOverrides(Map<String, String> o) {
			if (rank != null) {
				o.put("lora.rank", rank.toString());
				if (alpha == null) o.putIfAbsent("lora.alpha", rank.toString());
			}
			if (alpha != null) o.put("lora.alpha", alpha.toString());
			if (convRank != null) o.put("lora.conv_rank", convRank.toString());
			if (convAlpha != null) o.put("lora.conv_alpha", convAlpha.toString());
			if (dora != null) o.put("lora.dora", dora.toString());
			if (targets != null) o.put("lora.targets", targets);
			if (textEncoder != null) o.put("lora.text_encoder", textEncoder.toString());
			if (textEncoderLr != null) o.put("optimizer.text_encoder_learning_rate", textEncoderLr.toString());
			if (trigger != null) o.put("captions.trigger", trigger);
			if (replaceWord != null) o.put("captions.replace_word", replaceWord);
			if (token != null) o.put("lora.token", token);
			if (tokenInit != null) o.put("lora.token_initializer", tokenInit);
			if (bundle != null) o.put("lora.bundle_embedding", bundle.toString());
			if (captionDropout != null) o.put("captions.dropout", captionDropout.toString());
			if (shuffleTags != null) o.put("captions.shuffle_tags", shuffleTags.toString());
			if (keepTags != null) o.put("captions.keep_tags", keepTags.toString());
			if (regDataset != null) o.put("data.regularization_dataset",
				existing("--reg-dataset", regDataset).toAbsolutePath().toString());
			if (regWeight != null) o.put("data.regularization_weight", regWeight.toString());
			if (peft != null) o.put("lora.peft_format", peft.toString());
		}
	}
}
