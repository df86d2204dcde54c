package io.github.diffusej.fiji;

import ij.IJ;
import ij.Prefs;
import ij.gui.GenericDialog;
import ij.plugin.frame.Recorder;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.process.AbstractPreprocessorPlugin;
import org.scijava.module.process.PreprocessorPlugin;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.service.Service;
import org.scijava.ui.UIService;
import org.scijava.widget.FileWidget;
import org.scijava.widget.InputHarvester;

/**
 * The short dialog of Train Textual Inversion and Train LoRA in Fiji: the main fields first (model, dataset, run
 * folder, token or trigger, steps, learning rate, rank and alpha, resume), with "Advanced settings" to see the
 * rest in the command's own dialog next; without it the other fields keep their remembered values and no second
 * dialog opens. Every field is still a macro key and recorded (the recorder is paused while this dialog is
 * open, so that its labels are not recorded as keys of their own). Macros, scripts that set the fields, and
 * headless runs skip this step.
 */
@Plugin(type = PreprocessorPlugin.class, priority = InputHarvester.PRIORITY + 1)
public class TrainingDialogs extends AbstractPreprocessorPlugin {

	/** ImageJ preference: whether the advanced part was asked for last time. */
	static final String ADVANCED_PREF = "diffusej.train.advanced";

	@Parameter(required = false)
	private UIService ui;

	@Override
	public void process(Module module) {
		List<String> fields = shortFields(module.getInfo().getDelegateClassName());
		if (fields == null) return;
		if (IJ.isMacro() || GraphicsEnvironment.isHeadless() || ui == null || ui.isHeadless()) return;
		for (String f : fields) if (module.isInputResolved(f)) return; // a script gave the values
		Map<String, Object> values = new LinkedHashMap<>();
		Boolean advanced = ask(module, fields, values);
		if (advanced == null) {
			cancel(""); // closed or cancelled: a quiet cancel
			return;
		}
		Prefs.set(ADVANCED_PREF, advanced);
		apply(module, values, advanced);
	}

	/** The short dialog's fields of a training command, or null for another command. */
	static List<String> shortFields(String className) {
		if (TrainTextualInversionCommand.class.getName().equals(className)) return TrainTextualInversionCommand.SHORT;
		if (TrainLoraCommand.class.getName().equals(className)) return TrainLoraCommand.SHORT;
		return null;
	}

	/**
	 * Sets the short dialog's values and marks them given; without {@code advanced} every other input is marked
	 * given too (with its remembered value), so that the command's own dialog does not open.
	 */
	static void apply(Module module, Map<String, Object> values, boolean advanced) {
		values.forEach((name, v) -> {
			module.setInput(name, v);
			module.resolveInput(name);
		});
		if (advanced) return;
		for (ModuleItem<?> item : module.getInfo().inputs())
			if (!Service.class.isAssignableFrom(item.getType())) module.resolveInput(item.getName());
	}

	/** Shows the dialog; the values by field name, and whether the advanced part is wanted (null: cancelled). */
	static Boolean ask(Module module, List<String> fields, Map<String, Object> values) {
		String title = module.getInfo().getLabel() != null ? module.getInfo().getLabel() : module.getInfo().getTitle();
		GenericDialog gd = new GenericDialog(title);
		gd.addMessage("The main settings; the defaults of the rest suit a first run.");
		for (String name : fields) {
			ModuleItem<?> item = module.getInfo().getInput(name);
			Object v = module.getInput(name);
			Class<?> t = item.getType();
			String label = item.getLabel() != null ? item.getLabel() : name;
			if (t == File.class) {
				String path = v == null ? "" : v.toString();
				if (FileWidget.DIRECTORY_STYLE.equals(item.getWidgetStyle())) gd.addDirectoryField(label, path, 40);
				else gd.addFileField(label, path, 40);
			}
			else if (t == boolean.class || t == Boolean.class) gd.addCheckbox(label, Boolean.TRUE.equals(v));
			else if (t == int.class || t == long.class) gd.addNumericField(label, ((Number) v).doubleValue(), 0);
			else if (t == double.class) gd.addNumericField(label, (Double) v, decimals((Double) v));
			else gd.addStringField(label, v == null ? "" : v.toString(), 25);
		}
		gd.addCheckbox("Advanced settings (next dialog)", Prefs.get(ADVANCED_PREF, false));
		boolean recording = Recorder.record;
		if (recording) Recorder.suspendRecording();
		try {
			gd.showDialog();
		}
		finally {
			if (recording) Recorder.resumeRecording();
		}
		if (gd.wasCanceled()) return null;
		for (String name : fields) {
			Class<?> t = module.getInfo().getInput(name).getType();
			if (t == File.class) {
				String s = gd.getNextString().strip();
				values.put(name, s.isEmpty() ? null : new File(s));
			}
			else if (t == boolean.class || t == Boolean.class) values.put(name, gd.getNextBoolean());
			else if (t == int.class) values.put(name, (int) Math.round(gd.getNextNumber()));
			else if (t == long.class) values.put(name, Math.round(gd.getNextNumber()));
			else if (t == double.class) values.put(name, gd.getNextNumber());
			else values.put(name, gd.getNextString());
		}
		return gd.getNextBoolean();
	}

	/** Enough decimals to show a learning rate such as 0.0001 exactly. */
	static int decimals(double v) {
		if (!Double.isFinite(v) || v == 0) return 1;
		return Math.max(1, Math.min(10, BigDecimal.valueOf(v).stripTrailingZeros().scale()));
	}
}
