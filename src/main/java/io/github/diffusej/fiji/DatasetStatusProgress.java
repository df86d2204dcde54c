package io.github.diffusej.fiji;

import ij.IJ;

import java.util.function.BooleanSupplier;

import org.scijava.app.StatusService;

import io.github.diffusej.ProgressListener;

/**
 * The dataset core's progress on Fiji's status bar and progress bar; cancelled by Esc in an image window, by the
 * given condition, or by interrupting the thread (Future.cancel(true)).
 */
final class DatasetStatusProgress implements ProgressListener {

	private final StatusService status;
	private final BooleanSupplier cancelled;

	DatasetStatusProgress(StatusService status, BooleanSupplier cancelled) {
		this.status = status;
		this.cancelled = cancelled;
		IJ.resetEscape();
	}

	@Override
	public void progress(int done, int total, String message) {
		if (status == null) return;
		status.showStatus(message);
		if (total > 0) status.showProgress(done, total);
	}

	@Override
	public boolean isCancelled() {
		return Thread.currentThread().isInterrupted() || IJ.escapePressed() || cancelled.getAsBoolean();
	}
}
