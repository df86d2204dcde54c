package io.github.diffusej.fiji;

import java.io.File;
import java.io.IOException;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.widget.FileWidget;
import org.scijava.plugin.Plugin;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetCheck;
import io.github.diffusej.data.DatasetReader;

/** Plugins>DiffuseJ>Check Dataset: what is likely to go wrong when training on a dataset. */
@Plugin(type = Command.class, headless = true, label = "Check Dataset",
	description = "warnings before training: too few images, low variety, captions without the trigger, small images",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Check Dataset", weight = DiffuseJMenu.CHECK_DATASET)})
public class CheckDatasetCommand extends ContextCommand {

	@Parameter
	private LogService log;

	/** A folder chooser: Fiji's file dialog for any other style picks files only (a .jsonl's folder reads it). */
	@Parameter(label = "Dataset folder", style = FileWidget.DIRECTORY_STYLE, persist = false,
		description = "A DiffuseJ dataset, or a folder with data.jsonl, metadata.jsonl or x.png + x.txt pairs")
	private File dataset;

	@Parameter(label = "Method", choices = {"lora", "textual-inversion"})
	private String method = "lora";

	@Parameter(label = "Trigger token", required = false)
	private String token = "";

	@Parameter(label = "Training resolution (px)", min = "8")
	private int resolution = 512;

	@Parameter(type = ItemIO.OUTPUT)
	private String report;

	@Override
	public void run() {
		try {
			if (dataset == null) throw new IllegalArgumentException("choose a dataset");
			Dataset ds = DatasetReader.read(dataset.toPath());
			report = ds.location() + ": " + ds.items().size() + " training, " + ds.validation().size()
				+ " validation items\n" + DatasetCheck.format(DatasetCheck.check(ds, DatasetCheck.Method.parse(method),
					token == null ? "" : token, resolution));
			log.info(report);
		}
		catch (IOException | IllegalArgumentException e) {
			report = e.getMessage();
			Stops.failed(this, log, "Check Dataset", report);
		}
	}
}
