package io.github.diffusej.fiji.bridge;

import ij.IJ;
import ij.WindowManager;
import ij.plugin.frame.RoiManager;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dialog;
import java.awt.Window;
import java.util.ArrayList;
import java.util.List;

/**
 * Test scope: runs ImageJ macro files in ImageJ 1.x's own macro interpreter with DiffuseJ's commands bridged in
 * ({@link LegacyBridge}), under a display (Xvfb in the tests). Arguments: pairs of macro file and macro argument.
 * Prints {@code ### <macro> OK} or {@code ### <macro> FAILED: <why>} for each and exits with 0 only when all
 * passed. Any AWT dialog that opens (a macro error, an ImageJ message, a chooser) would wait forever for a click
 * under Xvfb: a watchdog reports its text as a failure and exits.
 */
public final class MacroRunner {

	private MacroRunner() {}

	public static void main(String[] args) {
		LegacyBridge.install();
		Thread watchdog = new Thread(MacroRunner::watchDialogs, "dialog-watchdog");
		watchdog.setDaemon(true);
		watchdog.start();
		int failed = 0;
		for (int i = 0; i + 1 < args.length; i += 2) {
			String macro = args[i], arg = args[i + 1];
			LegacyBridge.clearFailures();
			System.out.println("### running " + macro + " (" + arg + ")");
			String result = IJ.runMacroFile(macro, arg);
			List<String> failures = new ArrayList<>(LegacyBridge.failures());
			if ("[aborted]".equals(result) && failures.isEmpty()) failures.add("the macro was aborted");
			if (failures.isEmpty()) System.out.println("### " + macro + " OK");
			else {
				failed++;
				System.out.println("### " + macro + " FAILED: " + String.join("; ", failures));
			}
			reset();
		}
		System.out.flush();
		System.exit(failed == 0 ? 0 : 1);
	}

	/** Closes what a macro left open, so the next one starts from nothing. */
	private static void reset() {
		int[] ids = WindowManager.getIDList();
		if (ids != null) for (int id : ids) {
			var imp = WindowManager.getImage(id);
			if (imp != null) {
				imp.changes = false;
				imp.close();
			}
		}
		RoiManager rm = RoiManager.getInstance();
		if (rm != null) rm.reset();
	}

	private static void watchDialogs() {
		while (true) {
			for (Window w : Window.getWindows()) {
				if (w instanceof Dialog d && d.isShowing()) {
					System.out.println("### FAILED: a dialog opened: '" + d.getTitle() + "': " + text(d));
					System.out.flush();
					Runtime.getRuntime().halt(3);
				}
			}
			try {
				Thread.sleep(200);
			}
			catch (InterruptedException e) {
				return;
			}
		}
	}

	private static String text(Container c) {
		StringBuilder sb = new StringBuilder();
		for (Component k : c.getComponents()) {
			// Label, TextComponent, ImageJ's MultiLineLabel, Swing labels: whatever shows text has getText()
			try {
				Object t = k.getClass().getMethod("getText").invoke(k);
				if (t != null) sb.append(t).append(' ');
			}
			catch (ReflectiveOperationException e) {
				// no text of its own
			}
			if (k instanceof Container inner) sb.append(text(inner));
		}
		return sb.toString().strip().replace('\n', ' ');
	}
}
