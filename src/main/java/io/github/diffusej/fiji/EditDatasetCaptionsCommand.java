package io.github.diffusej.fiji;

import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;

import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetReader;

/**
 * Plugins>DiffuseJ>Edit Dataset Captions: a window with thumbnails and editable captions, find and replace, save.
 * Needs a display; headless, use Open Dataset as Stack + Save Stack Captions to Dataset from a macro instead.
 */
@Plugin(type = Command.class, menuPath = "Plugins>DiffuseJ>Edit Dataset Captions", label = "Edit Dataset Captions")
public class EditDatasetCaptionsCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter(label = "Dataset (folder, data.jsonl or metadata.jsonl)", style = "both")
	private File dataset;

	@Override
	public void run() {
		try {
			if (dataset == null) throw new IllegalArgumentException("choose a dataset");
			if (GraphicsEnvironment.isHeadless()) {
				throw new IllegalArgumentException("Edit Dataset Captions needs a display; headless, use Open Dataset "
					+ "as Stack, change slice labels, then Save Stack Captions to Dataset");
			}
			Dataset ds = DatasetReader.read(dataset.toPath());
			CaptionEditorWindow.show(ds);
		}
		catch (IOException | IllegalArgumentException e) {
			log.error(e.getMessage());
			cancel(e.getMessage());
		}
	}
}
