package io.github.diffusej.fiji;

import ij.IJ;
import ij.gui.GenericDialog;
import java.awt.GraphicsEnvironment;
import org.scijava.module.Module;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.ui.UIService;
import org.scijava.widget.InputHarvester;

/**
 * The first step of Build Captioned Dataset in Fiji: a small dialog asks for the input, the sizing and the
 * caption source, then the main dialog shows only the fields those choices use (SciJava dialogs cannot hide
 * fields once open, so the choice comes first). The fields left out keep their values and are still recorded,
 * so a recorded macro passes every key. Macros, scripts that set the modes, and headless runs skip this step.
 */
@Plugin(type = PreprocessorPlugin.class, priority = InputHarvester.PRIORITY + 1)
public class BuildDatasetModes extends AbstractPreprocessorPlugin {

	@Parameter(required = false)
	private UIService ui;

	@Override
	public void process(Module module) {
		if (!BuildDatasetCommand.class.getName().equals(module.getInfo().getDelegateClassName())) return;
		if (IJ.isMacro() || GraphicsEnvironment.isHeadless() || ui == null || ui.isHeadless()) return;
		if (module.isInputResolved("input") || module.isInputResolved("sizing")) return;
		String[] modes = ask((String) module.getInput("input"), (String) module.getInput("sizing"),
			(String) module.getInput("caption_source"));
		if (modes == null) cancel(""); // the user closed the dialog: a quiet cancel
		else apply(module, modes);
	}

	/** Sets the modes {input, sizing, caption_source} and marks them and the inputs they do not use as given. */
	static void apply(Module module, String[] modes) {
		module.setInput("input", modes[0]);
		module.setInput("sizing", modes[1]);
		module.setInput("caption_source", modes[2]);
		module.resolveInput("input");
		module.resolveInput("sizing");
		module.resolveInput("caption_source");
		for (String name : BuildDatasetCommand.unusedInputs(modes[0], modes[1], modes[2])) module.resolveInput(name);
	}

	private static String[] ask(String input, String sizing, String captions) {
		GenericDialog gd = new GenericDialog("Build Captioned Dataset");
		gd.addMessage("What to build from, and how; the next dialog shows the settings these choices use.");
		gd.addChoice("Input", new String[] {BuildDatasetCommand.CURRENT, BuildDatasetCommand.ALL_OPEN,
			BuildDatasetCommand.FOLDER}, input);
		gd.addChoice("Sizing", new String[] {"resize-crop", BuildDatasetCommand.TILE, BuildDatasetCommand.ROI_CROPS,
			"keep"}, sizing);
		gd.addChoice("Captions from", new String[] {"template", BuildDatasetCommand.SLICE_LABEL}, captions);
		gd.showDialog();
		if (gd.wasCanceled()) return null;
		return new String[] {gd.getNextChoice(), gd.getNextChoice(), gd.getNextChoice()};
	}
}
