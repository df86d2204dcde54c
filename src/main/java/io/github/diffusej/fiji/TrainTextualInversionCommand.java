package io.github.diffusej.fiji;

import ij.ImagePlus;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainOptions;
import java.io.File;
import java.util.List;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * Plugins &gt; DiffuseJ &gt; Train Textual Inversion: a new token (e.g. {@code <my-cell>}) learned from a
 * captioned dataset with the model frozen, in a run folder that resumes ({@link io.github.diffusej.train.Trainer};
 * the options map to config keys as the CLI's {@code train-ti} flags do, through {@link TrainOptions}). The
 * training window shows the loss, the validation images and Cancel / Save now / Finish; Esc cancels too (a
 * resumable checkpoint is saved). Results: {@code <run>/<name>.safetensors} (emb_params) and
 * {@code learned_embeds.safetensors} (diffusers), which Generate Images, A1111, ComfyUI and InvokeAI load.
 *
 * <p>In Fiji a short dialog asks for the main fields first ({@link TrainingDialogs}); the advanced part follows
 * when asked for. Macro: {@code run("Train Textual Inversion", "model=[...] dataset=[...] run_dir=[...]
 * token=<my-cell> init=cell steps=1000 ...")} with every key, as the recorder writes it.
 */
@Plugin(type = Command.class, headless = true, label = "Train Textual Inversion",
	description = "a new token such as <my-cell> learned from a captioned dataset (embedding files; resumable runs)",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU),
		@Menu(label = "Train Textual Inversion", weight = DiffuseJMenu.TRAIN_TEXTUAL_INVERSION)})
public class TrainTextualInversionCommand extends ContextCommand {

	static final String TITLE = "Train Textual Inversion";
	private static final TrainConfig DEFAULTS = TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION);

	/** The fields of the short dialog ({@link TrainingDialogs}), in its order; the rest is the advanced part. */
	static final List<String> SHORT = List.of("model", "dataset", "run_dir", "token", "init", "steps",
		"learning_rate", "resume");

	@Parameter
	private LogService log;

	@Parameter
	private StatusService status;

	// Headings are message items, not macro keys; their names hold no '_' (see MacroKeysTest).

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String runHeading = "<html><b>Run</b>";

	@Parameter(label = "Model", style = FileWidget.FILE_AND_DIRECTORY_STYLE,
		description = "The base model: a diffusers folder (or its model_index.json) or a single .safetensors checkpoint (SD 1.x/2.x)")
	private File model;

	@Parameter(label = "Dataset", style = FileWidget.DIRECTORY_STYLE,
		description = "A DiffuseJ dataset folder, a folder with data.jsonl or metadata.jsonl, or images with .txt captions")
	private File dataset;

	@Parameter(label = "Run folder (output)", style = FileWidget.DIRECTORY_STYLE,
		description = "Where the run writes config.json, loss.csv, checkpoints, validation images and the embedding; "
			+ "a new folder, or the run to continue with Resume")
	private File run_dir;

	@Parameter(label = "Token", description = "The new token, case-sensitive, e.g. <my-cell>; prompts use it as a word")
	private String token = DEFAULTS.textualInversion().token();

	@Parameter(label = "Init word", description = "A word or phrase whose embedding starts the token (e.g. cell)")
	private String init = DEFAULTS.textualInversion().initializer();

	@Parameter(label = "Steps", min = "1")
	private int steps = DEFAULTS.steps();

	@Parameter(label = "Learning rate", min = "0", stepSize = "0.001", style = "format:0.0#######")
	private double learning_rate = DEFAULTS.optimizer().learningRate();

	@Parameter(label = "Resume the run in the run folder", description = "Continue from its newest checkpoint with "
		+ "its own config.json; of this dialog only Steps applies (raise it to train longer)")
	private boolean resume = false;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String advancedHeading = "<html><b>Advanced</b> (the defaults suit a first run)";

	@Parameter(label = "Tokenizer folder (single files)", style = FileWidget.DIRECTORY_STYLE, required = false,
		persist = false, description = "For a single-file checkpoint without a tokenizer beside it")
	private File tokenizer_dir;

	@Parameter(label = "Config file (optional)", style = FileWidget.OPEN_STYLE, required = false, persist = false,
		description = "A JSON file with any config keys (e.g. an earlier run's config.json); the fields of this dialog override it")
	private File config_file;

	@Parameter(label = "Init from an embedding file (optional)", style = FileWidget.OPEN_STYLE, required = false,
		persist = false, description = "Start the token from this embedding instead of the init word")
	private File init_file;

	@Parameter(label = "Vectors per token", min = "1", max = "75")
	private int vectors = DEFAULTS.textualInversion().numVectors();

	@Parameter(label = "Training captions", choices = {"object", "style", "dataset"},
		description = "object / style: the textual-inversion prompt templates (\"a photo of a <my-cell>\"); dataset: "
			+ "the dataset's captions, the init word replaced by the token")
	private String captions = DEFAULTS.captions().mode();

	@Parameter(label = "Batch size", min = "1")
	private int batch_size = DEFAULTS.batchSize();

	@Parameter(label = "Gradient accumulation steps", min = "1")
	private int accumulation = DEFAULTS.gradientAccumulationSteps();

	@Parameter(label = "Epochs (0 = use Steps)", min = "0")
	private int epochs = 0;

	@Parameter(label = "Resolution (0 = model's size)", min = "0", stepSize = "64",
		description = "The pixel-area budget of the aspect buckets: 512 for SD 1.5, 768 for SD 2.1 768-v")
	private int resolution = DEFAULTS.data().resolution();

	@Parameter(label = "Optimizer", choices = {"adamw", "prodigy"})
	private String optimizer = DEFAULTS.optimizer().type();

	@Parameter(label = "Learning-rate schedule", choices = {"constant", "constant_with_warmup", "linear", "cosine",
		"cosine_with_restarts", "polynomial"})
	private String scheduler = DEFAULTS.schedule().type();

	@Parameter(label = "Warm-up steps", min = "0")
	private int warmup = DEFAULTS.schedule().warmupSteps();

	@Parameter(label = "Seed")
	private long seed = DEFAULTS.seed();

	@Parameter(label = "Mixed precision", choices = {"no", "fp16"}, description = "fp16: frozen weights in float16 (GPUs)")
	private String mixed_precision = DEFAULTS.mixedPrecision();

	@Parameter(label = "Gradient checkpointing (less memory, slower)")
	private boolean gradient_checkpointing = DEFAULTS.gradientCheckpointing();

	@Parameter(label = "Validation prompts (| between; empty = none)", required = false,
		description = "{token} is the token, {caption} a training caption; images at the start, every N steps and at the end")
	private String validation_prompts = String.join("|", DEFAULTS.validation().prompts());

	@Parameter(label = "Validate every N steps (0 = start and end)", min = "0")
	private int validation_every = DEFAULTS.validation().everySteps();

	@Parameter(label = "Checkpoint every N steps (0 = at the end)", min = "0")
	private int checkpoint_every = DEFAULTS.checkpoints().everySteps();

	@Parameter(label = "Output name (empty = from the token)", required = false)
	private String output_name = "";

	@Parameter(label = "Other settings (key=value; ...)", required = false,
		description = "Any other config key, dotted, e.g. optimizer.weight_decay=0; data.flip=true; validation.steps=30")
	private String settings = "";

	@Parameter(type = ItemIO.OUTPUT, label = "Run folder")
	private String run_folder;

	@Parameter(type = ItemIO.OUTPUT, label = "Result file")
	private String result_file;

	@Parameter(type = ItemIO.OUTPUT, required = false, label = "Validation images")
	private ImagePlus validation;

	@Override
	public void run() {
		TrainingRun.Outcome o = TrainingRun.run(this, log, status, TITLE, TrainConfig.Method.TEXTUAL_INVERSION,
			this::options);
		if (o == null) return;
		run_folder = o.runFolder();
		result_file = o.resultFile();
		validation = o.validation();
	}

	/** The fields as training options (see {@link TrainOptions}); a resumed run takes only the steps. */
	TrainOptions options() {
		if (resume) return TrainingRun.resumeOptions(run_dir, config_file, steps, epochs);
		TrainOptions o = new TrainOptions();
		o.model = RequestStrings.model(model);
		o.dataset = TrainingRun.path(dataset);
		if (o.dataset == null) throw new TrainOptions.OptionException("choose a dataset (dataset)");
		o.out = TrainingRun.path(run_dir);
		if (o.out == null) throw new TrainOptions.OptionException("choose a run folder for the output (run_dir)");
		o.tokenizer = TrainingRun.path(tokenizer_dir);
		o.config = TrainingRun.path(config_file);
		o.token = token == null ? "" : token.strip();
		o.init = TrainingRun.text(init);
		o.initFile = TrainingRun.path(init_file);
		if (o.init == null && o.initFile == null) throw new TrainOptions.OptionException("init: give an init word "
			+ "(e.g. cell) or an embedding file to start from (init_file)");
		o.vectors = vectors;
		o.captions = captions;
		if (epochs > 0) o.epochs = epochs;
		else o.steps = steps;
		o.learningRate = learning_rate;
		o.batchSize = batch_size;
		o.accumulation = accumulation;
		o.resolution = resolution;
		o.optimizer = optimizer;
		o.scheduler = scheduler;
		o.warmup = warmup;
		o.seed = seed;
		o.mixedPrecision = mixed_precision;
		o.gradientCheckpointing = gradient_checkpointing;
		o.validationPrompts = TrainingRun.prompts(validation_prompts);
		o.validationEvery = validation_every;
		o.checkpointEvery = checkpoint_every;
		o.name = TrainingRun.text(output_name);
		o.settings(settings, "settings");
		return o;
	}
}
