package io.github.diffusej.fiji;

import io.github.diffusej.Durations;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.generate.TextToImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import java.awt.HeadlessException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scijava.Cancelable;
import org.scijava.app.StatusService;

/**
 * The generation listener of the Fiji commands: progress per denoising step in the status bar, Cancel (or Esc
 * in Fiji, or an interrupt) stops between steps, each finished image is saved at once as a PNG (atomically, so
 * a cancelled run leaves only complete files) and, with a display, appended to a live preview stack.
 */
final class GenerationProgress implements TextToImage.Listener {

	private final Cancelable command;
	private final StatusService status;
	private final Path outputDir;
	private final String prefix;
	private final String title;
	private final boolean gui;
	private final List<Path> saved = new ArrayList<>();
	private ImagePlus preview;
	private int images;
	private long start;
	private int startDone = -1;

	/**
	 * @param outputDir where PNGs go (null: not saved)
	 * @param gui whether a preview window may be shown and ImageJ's progress bar and Esc key are used
	 */
	GenerationProgress(Cancelable command, StatusService status, Path outputDir, String prefix, String title,
		boolean gui)
	{
		this.command = command;
		this.status = status;
		this.outputDir = outputDir;
		this.prefix = prefix;
		this.title = title;
		this.gui = gui;
		if (gui) IJ.resetEscape();
	}

	@Override
	public void progress(int done, int total, String message) {
		if (status != null) {
			if (total > 0) status.showProgress(done, total);
			status.showStatus(withEta(done, total, message));
		}
		if (gui && total > 0) IJ.showProgress(done, total);
	}

	/** The status line: the message and, once a step is done, the time left at the pace so far. */
	String withEta(int done, int total, String message) {
		if (total <= 0) return message;
		long now = System.nanoTime();
		if (startDone < 0 || done < startDone) {
			// the clock starts at the first step reported: loading the model is not part of the pace
			start = now;
			startDone = done;
			return message;
		}
		double left = Durations.remaining((now - start) / 1e9, done - startDone, total - startDone);
		return Double.isNaN(left) ? message : message + " (ETA " + Durations.format(left) + ")";
	}

	@Override
	public boolean isCancelled() {
		return command.isCanceled() || Thread.currentThread().isInterrupted() || gui && IJ.escapePressed();
	}

	@Override
	public void imageDone(int index, GeneratedImage image) {
		images++;
		if (outputDir != null) {
			try {
				saved.add(ResultStack.savePng(image, outputDir, prefix, index));
			}
			catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
		if (!gui) return;
		if (preview == null) {
			preview = ResultStack.toImagePlus(title + " (running)", List.of(image));
			try {
				preview.show();
			}
			catch (HeadlessException e) {
				// no display after all: the stack still grows and becomes the result, which Fiji shows
			}
		}
		else {
			ImageStack stack = preview.getStack();
			stack.addSlice(image.label(), new ColorProcessor(image.width(), image.height(), image.rgb().clone()));
			preview.setStack(stack);
			preview.setSlice(stack.getSize());
		}
		preview.updateAndDraw();
	}

	/** The PNGs saved so far. */
	List<Path> saved() {
		return List.copyOf(saved);
	}

	/** The result stack in final (row-major) order; the preview window, when there is one, shows it. */
	ImagePlus result(List<GeneratedImage> images) {
		ImagePlus finished = ResultStack.toImagePlus(title, images);
		if (preview == null) return finished;
		preview.setStack(finished.getStack());
		preview.setProperty("Info", finished.getProperty("Info"));
		preview.setTitle(title);
		if (status != null) status.clearStatus();
		return preview;
	}

	/**
	 * After a cancel: the preview window (the images made so far, in the order they were made) says so in its title,
	 * so it is not taken for a finished result.
	 */
	void cancelled(int total) {
		if (preview != null) preview.setTitle(title + " (cancelled: " + images + " of " + total + " images)");
	}

	/** Images finished so far. */
	int images() {
		return images;
	}

	/** The preview window's image, or null when none was shown. */
	ImagePlus preview() {
		return preview;
	}

	/** Clears the progress bar after a run that ended early. */
	void clear() {
		if (status != null) status.clearStatus();
		if (gui) IJ.showProgress(1.0);
	}
}
