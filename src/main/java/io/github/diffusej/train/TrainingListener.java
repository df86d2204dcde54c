package io.github.diffusej.train;

import io.github.diffusej.generate.GeneratedImage;
import java.nio.file.Path;

/**
 * What a training run reports as it goes, and how its user steers it. The core calls these from the training
 * thread; the Fiji training window draws them (loss plot, validation stack, buttons), the CLI prints them. All
 * methods have empty defaults, so a face implements what it shows.
 */
public interface TrainingListener {

	/** What the user asked for, polled by the loop between steps. */
	enum Request {
		/** Go on. */
		NONE,
		/** Write a resumable checkpoint now and go on. */
		SAVE_NOW,
		/** Stop after this step and export the results as if the run had reached its last step. */
		FINISH,
		/** Stop now; a resumable checkpoint is written so that the run can be resumed later. */
		CANCEL
	}

	/** A listener that shows nothing and never asks for anything. */
	TrainingListener NONE = new TrainingListener() {};

	/** The run starts (or resumes at {@code info.startStep()}). */
	default void started(RunInfo info) {}

	/** After each optimizer step. */
	default void step(StepReport report) {}

	/**
	 * The validation loss at {@code step} (fixed noise and timesteps, so equal weights give an equal number);
	 * {@code best} when it is the lowest so far.
	 */
	default void validationLoss(int step, double loss, boolean best) {}

	/** One validation image, as soon as it is made; {@code png} is where it was saved. */
	default void validationImage(int step, int index, int count, GeneratedImage image, Path png) {}

	/** A checkpoint (resumable state and the method's files) was written. */
	default void checkpointSaved(int step, Path folder) {}

	/** A note or warning for the user (the console prints it, Fiji logs it). */
	default void message(String text) {}

	/** The run ended: finished, cancelled or stopped by an error (then {@link TrainingResult#error()} says why). */
	default void finished(TrainingResult result) {}

	/** Polled between steps. A one-shot request (SAVE_NOW) must be reported once. */
	default Request poll() {
		return Request.NONE;
	}

	/**
	 * What a run is about.
	 *
	 * @param method "textual inversion", "LoRA", ...
	 * @param runDir the run folder
	 * @param startStep 0, or the step a resumed run continues from
	 * @param totalSteps optimizer steps of the whole run
	 * @param validationPrompts validation prompts (each with the same seeds every time)
	 * @param validationEvery steps between validations (0: never)
	 */
	record RunInfo(String method, Path runDir, int startStep, int totalSteps, java.util.List<String> validationPrompts,
		int validationEvery) {}

	/**
	 * One optimizer step.
	 *
	 * @param step steps done (1-based)
	 * @param totalSteps steps of the whole run
	 * @param epoch current epoch (0-based)
	 * @param loss the step's training loss (mean over its accumulated micro-batches)
	 * @param smoothedLoss exponential moving average of the loss (0.95), for plots and logs
	 * @param learningRate the learning rate used for this step (of the first parameter group)
	 * @param gradNorm gradient norm before clipping
	 * @param secondsPerStep recent seconds per step
	 * @param etaSeconds estimated seconds left
	 */
	record StepReport(int step, int totalSteps, int epoch, double loss, double smoothedLoss, double learningRate,
		double gradNorm, double secondsPerStep, double etaSeconds) {}
}
