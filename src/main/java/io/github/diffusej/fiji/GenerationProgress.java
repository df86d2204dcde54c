package io.github.diffusej.fiji;

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
			status.showStatus(message);
		}
		if (gui && total > 0) IJ.showProgress(done, total);
	}

	@Override
	public boolean isCancelled() {
		return command.isCanceled() || Thread.currentThread().isInterrupted() || gui && IJ.escapePressed();
	}

	@Override
	public void imageDone(int index, GeneratedImage image) {
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

	/** Clears the progress bar after a run that ended early. */
	void clear() {
		if (status != null) status.clearStatus();
		if (gui) IJ.showProgress(1.0);
	}
}
