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
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.data.DatasetStack;

/**
 * Plugins>DiffuseJ>Open Dataset as Stack: every item as an RGB slice, the caption as its slice label. Edit
 * labels (Image>Stacks>Set Label or a macro), then Save Stack Captions to Dataset; or build a new dataset from
 * the stack with captions from slice labels.
 */
@Plugin(type = Command.class, menuPath = "Plugins>DiffuseJ>Open Dataset as Stack", headless = true,
	label = "Open Dataset as Stack")
public class OpenDatasetAsStackCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter
	private StatusService status;

	@Parameter(label = "Dataset (folder, data.jsonl or metadata.jsonl)", style = "both")
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
		catch (IOException | IllegalArgumentException | CancellationException e) {
			log.error(e.getMessage());
			cancel(e.getMessage());
		}
	}
}
