package io.github.diffusej.fiji;

import ij.IJ;
import ij.ImagePlus;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainOptions;
import io.github.diffusej.train.Trainer;
import io.github.diffusej.train.TrainingException;
import io.github.diffusej.train.TrainingListener;
import io.github.diffusej.train.TrainingResult;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.scijava.app.StatusService;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;

/**
 * What Train Textual Inversion and Train LoRA share: the run from the command's {@link TrainOptions} to its
 * results ({@link TrainOptions#resolve} before anything loads, then the training window, {@link Trainer#open} and
 * {@link Trainer#run}), how it ends (one dialog for an error, none for a cancel), and the last result for ImageJ
 * macros, which cannot read a command's outputs:
 * {@code call("io.github.diffusej.fiji.TrainingRun.lastResultFile")}.
 */
public final class TrainingRun {

	/**
	 * The result of a run that finished or was cancelled.
	 *
	 * @param runFolder the run folder
	 * @param resultFile the main result file (embedding or LoRA), or "" after a cancel
	 * @param validation the validation images (null when the run made none)
	 */
	record Outcome(String runFolder, String resultFile, ImagePlus validation) {}

	private static volatile String lastRunFolder = "";
	private static volatile String lastResultFile = "";

	private TrainingRun() {}

	/**
	 * For macros: the result file (embedding or LoRA) of the last training run of this Fiji session that finished,
	 * or "" when the last one did not finish (cancelled, failed) or none ran.
	 */
	public static String lastResultFile() {
		return lastResultFile;
	}

	/** For macros: the run folder of the last training run of this session (also a cancelled one), or "". */
	public static String lastRunFolder() {
		return lastRunFolder;
	}

	/**
	 * The names of the training commands' fields in messages, by the canonical option names of
	 * {@link TrainOptions}: {@code --lr} is {@code learning_rate}, {@code --out} and {@code --resume} are
	 * {@code run_dir}, and so on; {@code token} is {@code train_token} for a LoRA.
	 */
	static TrainOptions.Names names(TrainConfig.Method method) {
		return new TrainOptions.Names() {
			@Override
			public String of(String option) {
				return switch (option) {
					case "tokenizer" -> "tokenizer_dir";
					case "out", "resume" -> "run_dir";
					case "config" -> "config_file";
					case "lr" -> "learning_rate";
					case "validation-prompt" -> "validation_prompts";
					case "name" -> "output_name";
					case "set" -> "settings";
					case "text-encoder-lr" -> "text_encoder_rate";
					case "reg-dataset" -> "regularization";
					case "reg-weight" -> "regularization_weight";
					case "token" -> method == TrainConfig.Method.LORA ? "train_token" : "token";
					default -> option.replace('-', '_');
				};
			}

			@Override
			public String resumeHint(Path run) {
				return "tick Resume (resume=true) with this run folder";
			}
		};
	}

	/** A path field: null for null or blank (a macro's {@code x=[]}). */
	static Path path(File f) {
		return f == null || f.getPath().isBlank() ? null : f.toPath();
	}

	/** A text field: null (not given) for null or blank. */
	static String text(String s) {
		return s == null || s.isBlank() ? null : s.strip();
	}

	/** Validation prompts separated by {@code |}; blank gives none. */
	static List<String> prompts(String s) {
		List<String> out = new ArrayList<>();
		if (s != null) for (String p : s.split("\\|")) if (!p.isBlank()) out.add(p.strip());
		return out;
	}

	/**
	 * The options of a resumed run: its own config.json, with the dialog's steps (or epochs, when above 0) to
	 * extend it; the other fields do not apply.
	 */
	static TrainOptions resumeOptions(File runDir, File configFile, int steps, int epochs) {
		TrainOptions o = new TrainOptions();
		o.resume = path(runDir);
		if (o.resume == null) throw new TrainOptions.OptionException("resume needs the run folder (run_dir) of the run "
			+ "to continue");
		o.config = path(configFile); // refused by resolve: a resumed run has its own config
		if (epochs > 0) o.epochs = epochs;
		else o.steps = steps;
		return o;
	}

	/**
	 * Trains: resolves the options (errors name the field, before anything loads), shows the training window
	 * (status bar only headless), trains, and ends the command as the run ended. Returns the outcome, or null when
	 * the run failed (the command is then cancelled with the reason: one dialog in Fiji).
	 */
	static Outcome run(ContextCommand command, LogService log, StatusService status, String title,
		TrainConfig.Method method, java.util.function.Supplier<TrainOptions> options)
	{
		lastRunFolder = ""; // a macro must never pick up the result of an earlier run after this one failed
		lastResultFile = "";
		TrainOptions.Resolved r;
		try {
			r = options.get().resolve(method, names(method));
		}
		catch (TrainingException | IllegalArgumentException e) {
			Stops.failed(command, log, title, e.getMessage());
			return null;
		}
		catch (IOException e) {
			Stops.failed(command, log, title, describe(e));
			return null;
		}
		boolean gui = !GraphicsEnvironment.isHeadless();
		if (gui) IJ.resetEscape();
		BooleanSupplier cancelled = () -> command.isCanceled() || gui && IJ.escapePressed();
		String name = r.runDir().toAbsolutePath().normalize().getFileName().toString();
		TrainingWindow window = new TrainingWindow(title + ": " + name, status, cancelled, gui);
		TrainingListener listener = new Logged(window, gui ? null : log, title);
		TrainingResult result;
		try {
			Engines.prepareThread();
			log.info(title + ": " + Engines.start().oneLine());
			if (r.resume()) log.info(title + ": resuming " + r.runDir() + " with its own config.json (of this dialog "
				+ "only the steps apply)");
			try (Trainer t = Trainer.open(r.config(), r.runDir(), r.resume(), Engines.device(), listener)) {
				result = t.run();
			}
		}
		catch (TrainingException | IllegalArgumentException | IllegalStateException e) {
			return notStarted(command, log, title, window, e.getMessage(), null);
		}
		catch (IOException | UncheckedIOException e) {
			return notStarted(command, log, title, window, describe(e), null);
		}
		catch (OutOfMemoryError e) {
			return notStarted(command, log, title, window, "Out of memory (" + e.getMessage() + "): give Fiji more in "
				+ "Edit > Options > Memory & Threads, or train at a lower resolution, with a batch size of 1 and "
				+ "gradient checkpointing", null);
		}
		catch (RuntimeException e) {
			return notStarted(command, log, title, window, "training failed: " + e, e);
		}
		ImagePlus validation = window.validationImages();
		if (validation != null) validation.setTitle(name + " validation");
		String folder = r.runDir().toAbsolutePath().normalize().toString();
		lastRunFolder = folder;
		switch (result.status()) {
			case FINISHED -> {
				String file = result.outputs().isEmpty() ? "" : result.outputs().get(0).toString();
				lastResultFile = file;
				log.info(title + ": finished at step " + result.step() + "; " + String.join(", ",
					result.outputs().stream().map(Path::toString).toList())
					+ (result.best() != null ? "; lowest validation loss: " + result.best() : ""));
				if (status != null) status.showStatus(title + ": finished, " + file);
				return new Outcome(folder, file, validation);
			}
			case CANCELLED -> {
				Stops.cancelled(command, log, status, title, "cancelled at step " + result.step() + "; the checkpoint in "
					+ folder + " resumes it (tick Resume, or resume=true, with this run folder)");
				return new Outcome(folder, "", validation);
			}
			default -> {
				Stops.failed(command, log, title, result.error());
				return null;
			}
		}
	}

	private static Outcome notStarted(ContextCommand command, LogService log, String title, TrainingWindow window,
		String reason, Throwable bug)
	{
		window.dispose();
		Stops.failed(command, log, title, reason);
		if (bug != null) log.error(title + ": " + reason, bug); // a bug: keep the trace for the report
		return null;
	}

	private static String describe(Exception e) {
		String m = e.getMessage();
		if (e instanceof java.nio.file.FileSystemException f) return f.getFile() + ": "
			+ (f.getReason() != null ? f.getReason() : e.getClass().getSimpleName());
		return m == null ? e.toString() : m;
	}

	/** The training window, and the run's notes in the log where the window does not show them (headless). */
	private record Logged(TrainingWindow window, LogService log, String title) implements TrainingListener {

		@Override
		public void started(RunInfo info) {
			window.started(info);
		}

		@Override
		public void step(StepReport report) {
			window.step(report);
		}

		@Override
		public void validationLoss(int step, double loss, boolean best) {
			window.validationLoss(step, loss, best);
		}

		@Override
		public void validationImage(int step, int index, int count, GeneratedImage image, Path png) {
			window.validationImage(step, index, count, image, png);
		}

		@Override
		public void checkpointSaved(int step, Path folder) {
			window.checkpointSaved(step, folder);
			if (log != null) log.info(title + ": checkpoint of step " + step + " in " + folder);
		}

		@Override
		public void message(String text) {
			window.message(text);
			if (log != null) log.info(title + ": " + text);
		}

		@Override
		public void finished(TrainingResult result) {
			window.finished(result);
		}

		@Override
		public Request poll() {
			return window.poll();
		}
	}
}
