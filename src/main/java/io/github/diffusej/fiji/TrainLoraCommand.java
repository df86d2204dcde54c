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
 * Plugins &gt; DiffuseJ &gt; Train LoRA: a LoRA or DoRA adapter (optionally with a new token, pivotal tuning)
 * trained on a captioned dataset, in a run folder that resumes ({@link io.github.diffusej.train.Trainer}; the
 * options map to config keys as the CLI's {@code train-lora} flags do, through {@link TrainOptions}). The same
 * training window as textual inversion: loss plot, validation images, Cancel / Save now / Finish, Esc to cancel (a
 * resumable checkpoint is saved). Result: {@code <run>/<name>.safetensors} in kohya's layout with {@code ss_*} and
 * ModelSpec metadata, which Generate Images, InvokeAI, ComfyUI, A1111 and diffusers load.
 *
 * <p>In Fiji a short dialog asks for the main fields first ({@link TrainingDialogs}); the advanced part follows
 * when asked for. Macro: {@code run("Train LoRA", "model=[...] dataset=[...] run_dir=[...] trigger=<my-cell>
 * rank=8 alpha=8 ...")} with every key, as the recorder writes it. Conv adapters (kohya's conv_dim), the embedding
 * bundled into the LoRA file and the PEFT layout are config keys: {@code settings=[lora.conv_rank=4;
 * lora.conv_alpha=4]} (a field named {@code conv_alpha} would be found by ImageJ inside {@code alpha=}).
 */
@Plugin(type = Command.class, headless = true, label = "Train LoRA",
	description = "a LoRA/DoRA adapter trained on a captioned dataset (kohya .safetensors for every SD app; resumable runs)",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Train LoRA", weight = DiffuseJMenu.TRAIN_LORA)})
public class TrainLoraCommand extends ContextCommand {

	static final String TITLE = "Train LoRA";
	private static final TrainConfig DEFAULTS = TrainConfig.defaults(TrainConfig.Method.LORA);

	/** The fields of the short dialog ({@link TrainingDialogs}), in its order; the rest is the advanced part. */
	static final List<String> SHORT = List.of("model", "dataset", "run_dir", "trigger", "replace_word",
		"steps", "learning_rate", "rank", "alpha", "resume");

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
		description = "Where the run writes config.json, loss.csv, checkpoints, validation images and the LoRA; "
			+ "a new folder, or the run to continue with Resume")
	private File run_dir;

	@Parameter(label = "Trigger word", required = false, description = "Put into every caption that lacks it (e.g. "
		+ "<my-cell>); prompts then use it. Empty: the captions as they are")
	private String trigger = "<my-cell>";

	@Parameter(label = "Caption word to replace (optional)", required = false,
		description = "A word of the captions that becomes the trigger (e.g. cell); empty: the trigger is put first")
	private String replace_word = "";

	@Parameter(label = "Steps", min = "1")
	private int steps = DEFAULTS.steps();

	@Parameter(label = "Learning rate", min = "0", stepSize = "0.001", style = "format:0.0#######")
	private double learning_rate = DEFAULTS.optimizer().learningRate();

	@Parameter(label = "Rank", min = "1", max = "1024")
	private int rank = DEFAULTS.lora().rank();

	@Parameter(label = "Alpha (scale = alpha / rank)", min = "0", stepSize = "1")
	private double alpha = DEFAULTS.lora().alpha();

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

	@Parameter(label = "DoRA (weight-decomposed adapters)")
	private boolean dora = DEFAULTS.lora().dora();

	@Parameter(label = "Targets", choices = {"attention", "extended"}, description = "attention: to_q, to_k, to_v, "
		+ "to_out.0; extended: also proj_in/out, the feed-forward layers, the resnet convs and time_emb_proj")
	private String targets = DEFAULTS.lora().targets();

	@Parameter(label = "Target pattern (regex, optional)", required = false,
		description = "Instead of Targets: a regular expression over UNet module paths, e.g. attn2\\.to_(k|v)$")
	private String target_pattern = "";

	@Parameter(label = "Text encoder adapters too")
	private boolean text_encoder = DEFAULTS.lora().textEncoder();

	@Parameter(label = "Text encoder learning rate (0 = the same)", min = "0", stepSize = "0.00001",
		style = "format:0.0#######")
	private double text_encoder_rate = 0;

	@Parameter(label = "Train the trigger as a new token (pivotal tuning)",
		description = "The trigger becomes a new token trained with the LoRA, saved as an embedding file beside it")
	private boolean train_token = false;

	@Parameter(label = "Init word of the new token", required = false)
	private String token_init = "cell";

	@Parameter(label = "Caption dropout (probability)", min = "0", max = "1", stepSize = "0.05")
	private double caption_dropout = DEFAULTS.captions().dropout();

	@Parameter(label = "Shuffle comma-separated tags")
	private boolean shuffle_tags = DEFAULTS.captions().shuffleTags();

	@Parameter(label = "Tags kept first (not shuffled)", min = "0")
	private int keep_tags = DEFAULTS.captions().keepTags();

	@Parameter(label = "Regularisation dataset (optional)", style = FileWidget.DIRECTORY_STYLE, required = false,
		persist = false, description = "Class images (e.g. other cells) trained alongside, so that the LoRA does not "
			+ "overwrite the class")
	private File regularization;

	@Parameter(label = "Regularisation loss weight", min = "0", stepSize = "0.1")
	private double regularization_weight = DEFAULTS.data().regularizationWeight();

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
		description = "{token} is the trigger, {caption} a training caption; images at the start, every N steps and at the end")
	private String validation_prompts = String.join("|", DEFAULTS.validation().prompts());

	@Parameter(label = "Validate every N steps (0 = start and end)", min = "0")
	private int validation_every = DEFAULTS.validation().everySteps();

	@Parameter(label = "Checkpoint every N steps (0 = at the end)", min = "0")
	private int checkpoint_every = DEFAULTS.checkpoints().everySteps();

	@Parameter(label = "Output name (empty = from the trigger)", required = false)
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
		TrainingRun.Outcome o = TrainingRun.run(this, log, status, TITLE, TrainConfig.Method.LORA, this::options);
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
		o.trigger = TrainingRun.text(trigger);
		o.replaceWord = TrainingRun.text(replace_word);
		o.rank = rank;
		o.alpha = alpha;
		o.dora = dora;
		o.targets = TrainingRun.text(target_pattern) != null ? target_pattern.strip() : targets;
		o.textEncoder = text_encoder;
		if (text_encoder_rate > 0) o.textEncoderLearningRate = text_encoder_rate;
		if (train_token) {
			if (o.trigger == null) throw new TrainOptions.OptionException("train_token needs a trigger word (trigger), "
				+ "e.g. <my-cell>");
			o.token = o.trigger;
			o.init = TrainingRun.text(token_init);
		}
		o.captionDropout = caption_dropout;
		o.shuffleTags = shuffle_tags;
		o.keepTags = keep_tags;
		o.regDataset = TrainingRun.path(regularization);
		o.regWeight = regularization_weight;
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
