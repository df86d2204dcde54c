package io.github.diffusej.fiji.bridge;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.Menus;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.plugin.PlugIn;
import io.github.diffusej.fiji.DiffuseJMenu;
import java.awt.Menu;
import java.awt.MenuItem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.scijava.Context;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.convert.ConvertService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;

/**
 * A test-scope stand-in for imagej-legacy (which is not on Maven Central): it makes DiffuseJ's SciJava commands
 * ImageJ 1.x commands, as Fiji does, so that ImageJ's own macro interpreter can {@code run("Generate Images",
 * "...")} them. What it copies from imagej-legacy, and nothing more:
 * <ul>
 * <li>each command is an entry of {@link Menus#getCommands()} under its menu label, and a menu item under
 * Plugins &gt; DiffuseJ sorted by menu weight (after a separator when the menu already has items);</li>
 * <li>each input is resolved from the macro options with {@link Macro#getValue} under its field name and converted
 * by SciJava's ConvertService ({@code MacroPreprocessor}); message items are resolved as given; an ImagePlus is
 * found by its title, and a single ImagePlus input left open takes the current image
 * ({@code ActiveImagePlusPreprocessor});</li>
 * <li>the module runs with SciJava's pre- and postprocessors, on a SciJava thread while the macro waits;</li>
 * <li>ImagePlus outputs are shown (so they become the macro's current image), text outputs are printed.</li>
 * </ul>
 * A cancel with a reason (in Fiji: a dialog) and an input still open when the dialog would be built (in Fiji: a
 * dialog or file chooser mid-macro) are failures, recorded in {@link #failures()} and ending the macro.
 */
public final class LegacyBridge {

	/** Set while a macro runs through the bridge; {@link DialogDetector} only acts then. */
	public static final String ACTIVE = "diffusej.bridge";

	private static Context context;
	private static Menu menu;
	private static final List<String> FAILURES = Collections.synchronizedList(new ArrayList<>());

	private LegacyBridge() {}

	/** Creates the SciJava context and registers every DiffuseJ command with ImageJ 1.x. */
	public static synchronized Context install() {
		if (context != null) return context;
		System.setProperty(ACTIVE, "true");
		context = new Context();
		@SuppressWarnings("unchecked")
		Map<String, String> commands = Menus.getCommands();
		menu = pluginsMenu();
		boolean separator = menu != null && menu.getItemCount() > 0;
		for (DiffuseJMenu.Entry e : DiffuseJMenu.entries()) {
			commands.put(e.label(), RunCommand.class.getName() + "(\"" + e.className() + "\")");
			if (menu == null) continue;
			if (separator) {
				menu.addSeparator();
				separator = false;
			}
			MenuItem item = new MenuItem(e.label());
			if (IJ.getInstance() != null) item.addActionListener(IJ.getInstance());
			menu.add(item);
		}
		return context;
	}

	/** The Plugins &gt; DiffuseJ menu the commands were added to (null without ImageJ's menu bar). */
	public static Menu menu() {
		return menu;
	}

	/** Plugins &gt; DiffuseJ of the ImageJ 1.x menu bar (created when ImageJ runs with menus), or null. */
	static Menu pluginsMenu() {
		if (Menus.getMenuBar() == null) return null;
		Menu existing = Menus.getImageJMenu("Plugins>" + DiffuseJMenu.MENU);
		if (existing != null) return existing;
		Menu plugins = Menus.getImageJMenu("Plugins");
		if (plugins == null) return null;
		Menu diffusej = new Menu(DiffuseJMenu.MENU);
		plugins.add(diffusej);
		return diffusej;
	}

	public static List<String> failures() {
		synchronized (FAILURES) {
			return List.copyOf(FAILURES);
		}
	}

	public static void clearFailures() {
		FAILURES.clear();
	}

	static void fail(String message) {
		FAILURES.add(message);
		System.out.println("BRIDGE FAILURE: " + message);
		if (Interpreter.getInstance() != null) Interpreter.abort();
	}

	/** The ImageJ 1.x plugin behind every bridged menu entry; its argument is the command class. */
	public static final class RunCommand implements PlugIn {

		@Override
		public void run(String className) {
			Context ctx = install();
			CommandInfo info = ctx.service(CommandService.class).getCommand(className);
			if (info == null) {
				fail("no SciJava command " + className);
				return;
			}
			String label = info.getMenuPath().getLeaf().getName();
			String options = Macro.getOptions();
			ModuleService modules = ctx.service(ModuleService.class);
			ConvertService convert = ctx.service(ConvertService.class);
			try {
				Module module = modules.createModule(info);
				if (options != null) resolve(module, options, convert);
				Future<Module> f = modules.run(module, true);
				Module done = f.get();
				if (done instanceof org.scijava.Cancelable c && c.isCanceled()) {
					String reason = c.getCancelReason();
					if (reason != null && !reason.isEmpty()) fail(label + " was cancelled: " + reason);
					else System.out.println(label + ": cancelled quietly");
					return;
				}
				for (ModuleItem<?> out : info.outputs()) {
					Object v = done.getOutput(out.getName());
					if (v instanceof ImagePlus imp) imp.show();
					else if (v != null) System.out.println(label + " " + out.getName() + ":\n" + v);
				}
			}
			catch (Exception e) {
				e.printStackTrace(System.out);
				fail(label + " threw " + e);
			}
		}

		/** As imagej-legacy's MacroPreprocessor and ActiveImagePlusPreprocessor resolve inputs from a macro. */
		static void resolve(Module module, String options, ConvertService convert) {
			List<String> images = new ArrayList<>();
			for (ModuleItem<?> input : module.getInfo().inputs()) {
				String name = input.getName();
				if (input.getVisibility() == ItemVisibility.MESSAGE) {
					module.resolveInput(name);
					continue;
				}
				Class<?> type = input.getType();
				String value = Macro.getValue(options, name, null);
				if (ImagePlus.class.equals(type)) {
					if (value == null) {
						images.add(name);
						continue;
					}
					ImagePlus imp = WindowManager.getImage(value);
					if (imp == null) {
						fail("no image titled '" + value + "' for " + name);
						return;
					}
					module.setInput(name, imp);
					module.resolveInput(name);
					continue;
				}
				if (value == null || !convert.supports(value, type)) continue;
				module.setInput(name, convert.convert(value, type));
				module.resolveInput(name);
			}
			if (images.size() == 1 && WindowManager.getCurrentImage() != null) {
				module.setInput(images.get(0), WindowManager.getCurrentImage());
				module.resolveInput(images.get(0));
			}
		}
	}

	/** For tests: the input names of a command that a macro passes (neither outputs, services nor messages). */
	public static List<String> macroKeys(CommandInfo info) {
		List<String> keys = new ArrayList<>();
		for (ModuleItem<?> input : info.inputs()) {
			if (input.getVisibility() == ItemVisibility.MESSAGE || input.getIOType() != ItemIO.INPUT) continue;
			if (org.scijava.service.Service.class.isAssignableFrom(input.getType())) continue;
			if (org.scijava.Context.class.isAssignableFrom(input.getType())) continue;
			keys.add(input.getName());
		}
		return keys;
	}
}
