package io.github.diffusej.cli;

import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainOptions;
import io.github.diffusej.train.Trainer;
import io.github.diffusej.train.TrainingException;
import io.github.diffusej.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

	/** Puts the method's own flags into the options. */
	abstract void methodOptions(TrainOptions o);

	@Override
	void validate() throws IOException {
		TrainOptions o = new TrainOptions();
		o.model = model;
		o.tokenizer = tokenizer;
		o.dataset = dataset;
		o.out = out;
		o.config = config;
		o.resume = resume;
		o.steps = steps;
		o.epochs = epochs;
		o.batchSize = batchSize;
		o.accumulation = accumulation;
		o.learningRate = lr;
		o.optimizer = optimizer;
		o.scheduler = scheduler;
		o.warmup = warmup;
		o.resolution = resolution;
		o.seed = seed;
		o.mixedPrecision = mixedPrecision;
		o.gradientCheckpointing = gradientCheckpointing;
		o.validationPrompts = validationPrompts.isEmpty() ? null : validationPrompts;
		o.baseLoras = baseLoras.isEmpty() ? null : baseLoras;
		o.validationEvery = validationEvery;
		o.checkpointEvery = checkpointEvery;
		o.name = name;
		TrainOptions.Resolved r;
		try {
			methodOptions(o);
			for (String kv : sets) o.setting(kv, "--set");
			r = o.resolve(method(), TrainOptions.CLI);
		}
		catch (TrainOptions.OptionException e) {
			throw CliException.usage(e.getMessage());
		}
		catch (TrainingException e) { // a config file that cannot be used
			throw CliException.badInput(e.getMessage());
		}
		runDir = r.runDir();
		outputFolder(r.resume() ? "--resume" : "--out", runDir);
		resolved = r.config();
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
		void methodOptions(TrainOptions o) {
			o.token = token;
			o.init = init;
			o.initFile = initFile;
			o.vectors = vectors;
			o.captions = captions;
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
		void methodOptions(TrainOptions o) {
			o.rank = rank;
			o.alpha = alpha;
			o.convRank = convRank;
			o.convAlpha = convAlpha;
			o.dora = dora;
			o.targets = targets;
			o.textEncoder = textEncoder;
			o.textEncoderLearningRate = textEncoderLr;
			o.trigger = trigger;
			o.replaceWord = replaceWord;
			o.token = token;
			o.init = tokenInit;
			o.bundleEmbedding = bundle;
			o.captionDropout = captionDropout;
			o.shuffleTags = shuffleTags;
			o.keepTags = keepTags;
			o.regDataset = regDataset;
			o.regWeight = regWeight;
			o.peft = peft;
		}
	}
}
