package io.github.diffusej.fiji;

import ij.ImagePlus;

import java.io.IOException;

import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetStack;

/** Plugins>DiffuseJ>Save Stack Captions to Dataset: slice labels of a stack from Open Dataset as Stack become captions. */
@Plugin(type = Command.class, headless = true, label = "Save Stack Captions to Dataset",
	description = "the slice labels of a stack from Open Dataset as Stack become the dataset's captions",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Save Stack Captions to Dataset", weight = DiffuseJMenu.SAVE_CAPTIONS)})
public class SaveStackCaptionsCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter(label = "Dataset stack", persist = false)
	private ImagePlus stack;

	@Parameter(type = ItemIO.OUTPUT)
	private String report;

	@Override
	public void run() {
		try {
			Dataset ds = DatasetStack.saveCaptions(stack);
			report = "Saved " + ds.size() + " captions to " + ds.location();
			log.info(report);
		}
		catch (IOException | IllegalArgumentException e) {
			report = e.getMessage();
			Stops.failed(this, log, "Save Stack Captions to Dataset", report);
		}
	}
}
