package io.github.diffusej.fiji;

import ij.IJ;
import java.awt.GraphicsEnvironment;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.ui.UIService;
import org.scijava.widget.InputHarvester;

/**
 * Lets a macro (or a headless run) leave out DiffuseJ's optional inputs: those it did not pass keep their
 * defaults instead of being asked for. Without it, an optional folder a macro does not pass is the only input
 * left open, and scijava-common's file preprocessor opens a "Choose a directory" dialog mid-macro (a hang in
 * batch mode); the macro recorder leaves out inputs without a value, so a recorded macro would do the same.
 * Runs after the macro values are filled in and before the file chooser and the dialog.
 */
@Plugin(type = PreprocessorPlugin.class, priority = InputHarvester.PRIORITY + 1)
public class MacroInputsPreprocessor extends AbstractPreprocessorPlugin {

	@Parameter(required = false)
	private UIService ui;

	@Override
	public void process(Module module) {
		if (!isDiffuseJ(module)) return;
		if (!IJ.isMacro() && !GraphicsEnvironment.isHeadless() && ui != null && !ui.isHeadless()) return;
		resolveOptional(module);
	}

	/** Marks every open optional input as given (its current value: the default). */
	static void resolveOptional(Module module) {
		for (ModuleItem<?> item : module.getInfo().inputs())
			if (!item.isRequired() && !module.isInputResolved(item.getName())) module.resolveInput(item.getName());
	}

	static boolean isDiffuseJ(Module module) {
		String cls = module.getInfo().getDelegateClassName();
		return cls != null && cls.startsWith("io.github.diffusej.");
	}
}
