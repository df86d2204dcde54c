package io.github.diffusej.fiji.bridge;

import java.util.ArrayList;
import java.util.List;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Plugin;
import org.scijava.service.Service;
import org.scijava.widget.InputHarvester;

/**
 * Test scope: where Fiji would now open a dialog for a DiffuseJ command run by a macro (the input harvester for
 * any input still open, or the file chooser for a single open File input), this fails the macro instead, naming
 * the inputs. Sits after DiffuseJ's own preprocessors and before scijava-common's file chooser; acts only while
 * the {@link LegacyBridge} runs a macro.
 */
@Plugin(type = PreprocessorPlugin.class, priority = InputHarvester.PRIORITY + 0.75)
public class DialogDetector extends AbstractPreprocessorPlugin {

	@Override
	public void process(Module module) {
		if (!Boolean.getBoolean(LegacyBridge.ACTIVE)) return;
		String cls = module.getInfo().getDelegateClassName();
		if (cls == null || !cls.startsWith("io.github.diffusej.")) return;
		List<String> open = new ArrayList<>();
		for (ModuleItem<?> input : module.getInfo().inputs()) {
			if (module.isInputResolved(input.getName())) continue;
			if (Service.class.isAssignableFrom(input.getType())) continue;
			open.add(input.getName());
		}
		if (open.isEmpty()) return;
		cancel("a dialog would open mid-macro for " + open); // the bridge reports the cancel as a failure
	}
}
