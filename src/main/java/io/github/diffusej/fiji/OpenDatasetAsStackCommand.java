package io.github.diffusej.fiji;

import ij.ImagePlus;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.CancellationException;

import org.scijava.ItemIO;
import org.scijava.app.StatusService;
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
import io.github.diffusej.data.DatasetStack;

/**
 * Plugins>DiffuseJ>Open Dataset as Stack: every item as an RGB slice, the caption as its slice label. Edit
 * labels (Image>Stacks>Set Label or a macro), then Save Stack Captions to Dataset; or build a new dataset from
 * the stack with captions from slice labels.
 */
@Plugin(type = Command.class, headless = true, label = "Open Dataset as Stack",
	description = "a dataset as an RGB stack with the captions as slice labels",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Open Dataset as Stack", weight = DiffuseJMenu.OPEN_AS_STACK)})
public class OpenDatasetAsStackCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter
	private StatusService status;

	/** The only input, so Fiji asks with its chooser: the directory style makes that a folder chooser. */
	@Parameter(label = "Dataset folder", style = FileWidget.DIRECTORY_STYLE, persist = false,
		description = "A DiffuseJ dataset, or a folder with data.jsonl, metadata.jsonl or x.png + x.txt pairs")
	private File dataset;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus stack;

	@Override
	public void run() {
		try {
			if (dataset == null) throw new IllegalArgumentException("choose a dataset");
			Dataset ds = DatasetReader.read(dataset.toPath());
			stack = DatasetStack.open(ds, new DatasetStatusProgress(status, this::isCanceled));
			status.showStatus("Opened " + ds.size() + " items of " + ds.location());
		}
		catch (CancellationException e) {
			Stops.cancelled(this, log, status, "Open Dataset as Stack", "cancelled");
		}
		catch (IOException | IllegalArgumentException e) {
			Stops.failed(this, log, "Open Dataset as Stack", e.getMessage());
		}
	}
}
