package io.github.diffusej.fiji;

import io.github.diffusej.Durations;
import io.github.diffusej.train.TrainingListener;
import io.github.diffusej.train.TrainingResult;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.scijava.app.StatusService;

/**
 * A training run on Fiji's status bar (StatusService): progress per step and a status line with step, loss and
 * ETA; a cancel of the command (its Cancel, Esc, an interrupt of the training thread) is reported as
 * {@link Request#CANCEL}. This is all a
 * headless Fiji shows; with a display, {@link TrainingWindow} adds the loss plot and buttons.
 */
public class TrainingStatus implements TrainingListener {

	private final StatusService status;
	private final BooleanSupplier cancelled;
	private volatile String method = "Training";
	private volatile boolean interrupted;

	/**
	 * @param status may be null (nothing shown)
	 * @param cancelled whether the command was cancelled (null: never)
	 */
	public TrainingStatus(StatusService status, BooleanSupplier cancelled) {
		this.status = status;
		this.cancelled = cancelled == null ? () -> false : cancelled;
	}

	@Override
	public void started(RunInfo info) {
		method = info.method();
		show(method + ": starting" + (info.startStep() > 0 ? " at step " + info.startStep() : ""));
	}

	@Override
	public void step(StepReport r) {
		if (status == null) return;
		status.showProgress(r.step(), r.totalSteps());
		status.showStatus(statusLine(method, r));
	}

	/** "LoRA: step 120/1000, loss 0.1234 (avg 0.1301), 0.84 s/step, ETA 12m20s". */
	static String statusLine(String method, StepReport r) {
		return String.format(Locale.ROOT, "%s: step %d/%d, loss %.4f (avg %.4f), %.2f s/step, ETA %s", method, r.step(),
			r.totalSteps(), r.loss(), r.smoothedLoss(), r.secondsPerStep(), Durations.format(r.etaSeconds()));
	}

	@Override
	public void checkpointSaved(int step, java.nio.file.Path folder) {
		show(method + ": checkpoint saved at step " + step);
	}

	@Override
	public void finished(TrainingResult result) {
		if (status == null) return;
		status.clearStatus();
		status.showStatus(method + " " + result.status().name().toLowerCase(Locale.ROOT) + " at step " + result.step());
	}

	/**
	 * CANCEL once the command was cancelled or the training thread interrupted; the interrupt flag is cleared when
	 * it is seen, so that the run can still write its resumable checkpoint.
	 */
	@Override
	public Request poll() {
		if (Thread.interrupted()) interrupted = true;
		return interrupted || cancelled.getAsBoolean() ? Request.CANCEL : Request.NONE;
	}

	/** The method being trained ("LoRA"), once the run started. */
	String method() {
		return method;
	}

	private void show(String text) {
		if (status != null) status.showStatus(text);
	}
}
