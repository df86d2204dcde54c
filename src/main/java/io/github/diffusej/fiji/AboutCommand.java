package io.github.diffusej.fiji;

import java.awt.GraphicsEnvironment;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * Plugins &gt; DiffuseJ &gt; About DiffuseJ: the last entry of the menu, a SciJava command so that Fiji sorts it
 * after the others (ImageJ 1.x entries of a menu come before the SciJava ones); the text of {@link AboutDiffuseJ}.
 */
@Plugin(type = Command.class, headless = true, description = "what this build contains and the engine it runs on",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "About DiffuseJ", weight = DiffuseJMenu.ABOUT)})
public class AboutCommand implements Command {

	@Parameter
	private LogService log;

	@Parameter(type = ItemIO.OUTPUT, label = "About DiffuseJ")
	private String report;

	@Override
	public void run() {
		// Fiji shows the text output in a window; headless, it goes to the log
		report = String.join("\n", AboutDiffuseJ.report());
		if (GraphicsEnvironment.isHeadless()) log.info(report);
	}
}
