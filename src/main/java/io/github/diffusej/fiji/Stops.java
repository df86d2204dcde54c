package io.github.diffusej.fiji;

import java.awt.GraphicsEnvironment;
import org.scijava.app.StatusService;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;

/**
 * How DiffuseJ's commands end early. SciJava shows a command's cancel reason in a dialog (the ModuleRunner warns
 * with it) and shows nothing for an empty one, so an error is only the cancel reason (one dialog, never a second
 * one of our own), and a cancel by the user (Cancel, Esc, an interrupt) has an empty reason and says so in the
 * status line. Headless, where no dialog appears, the error also goes to the log.
 */
final class Stops {

	private Stops() {}

	/** Stops with an error: one dialog in Fiji, an error line in the log headless. Keeps an earlier reason. */
	static void failed(ContextCommand command, LogService log, String title, String message) {
		if (!command.isCanceled()) command.cancel(message);
		if (log == null) return;
		if (GraphicsEnvironment.isHeadless()) log.error(title + ": " + message);
		else log.info(title + ": " + message);
	}

	/** Stops quietly after a cancel by the user; the status line and the log say what was kept. */
	static void cancelled(ContextCommand command, LogService log, StatusService status, String title, String message) {
		if (!command.isCanceled()) command.cancel("");
		if (log != null) log.info(title + ": " + message);
		if (status != null) status.showStatus(title + ": " + message);
	}
}
