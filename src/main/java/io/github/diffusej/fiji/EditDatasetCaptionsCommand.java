package io.github.diffusej.fiji;

import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;

import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.widget.FileWidget;
import org.scijava.plugin.Plugin;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetReader;

/**
 * Plugins>DiffuseJ>Edit Dataset Captions: a window with thumbnails and editable captions, find and replace, save.
 * Needs a display; headless, use Open Dataset as Stack + Save Stack Captions to Dataset from a macro instead.
 */
@Plugin(type = Command.class, label = "Edit Dataset Captions",
	description = "review captions beside thumbnails, edit, find and replace, save",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Edit Dataset Captions", weight = DiffuseJMenu.EDIT_CAPTIONS)})
public class EditDatasetCaptionsCommand extends ContextCommand {

	@Parameter
	private LogService log;

	/**
	 * The only input, so Fiji asks for it with its chooser before any dialog: with the directory style that is a
	 * folder chooser (with any other style it picks files only and a dataset folder cannot be chosen).
	 */
	@Parameter(label = "Dataset folder", style = FileWidget.DIRECTORY_STYLE, persist = false,
		description = "A DiffuseJ dataset, or a folder with data.jsonl, metadata.jsonl or x.png + x.txt pairs")
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
			Stops.failed(this, log, "Edit Dataset Captions", e.getMessage());
		}
	}
}
