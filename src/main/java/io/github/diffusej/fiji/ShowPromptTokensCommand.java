package io.github.diffusej.fiji;

import io.github.diffusej.generate.PromptCheck;
import io.github.diffusej.generate.RequestStrings;
import ij.IJ;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * Plugins > DiffuseJ > Show Prompt Tokens: how a model's tokenizer splits a prompt, for when a trigger word does
 * not fire. Reports the token count against the 75-token window, words split into several pieces, which
 * embedding triggers were recognised, and look-alikes (wrong case, unknown {@code <tokens>}). Only the
 * tokenizer is read, so it is instant even for large models. The report is the output and goes to the log.
 */
@Plugin(type = Command.class, headless = true,
	description = "how a prompt is tokenized: the 75-token window, split words, recognised trigger tokens",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Show Prompt Tokens", weight = DiffuseJMenu.PROMPT_TOKENS)})
public class ShowPromptTokensCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter(label = "Model", style = FileWidget.FILE_AND_DIRECTORY_STYLE,
		description = "A diffusers folder (its tokenizer/ is used) or a single .safetensors checkpoint")
	private File model;

	@Parameter(label = "Tokenizer folder (single files)", style = FileWidget.DIRECTORY_STYLE, required = false,
		persist = false)
	private File tokenizer_dir;

	@Parameter(label = "Prompt")
	private String prompt;

	@Parameter(label = "Embeddings", required = false,
		description = "path[:token];... textual inversions whose trigger tokens are added to the tokenizer")
	private String embeddings = "";

	@Parameter(type = ItemIO.OUTPUT)
	private String report;

	@Override
	public void run() {
		try {
			report = PromptCheck.analyse(RequestStrings.model(model), RequestStrings.optional(tokenizer_dir),
				prompt, RequestStrings.embeddings(embeddings)).report();
			log.info("Show Prompt Tokens:\n" + report);
			if (!GraphicsEnvironment.isHeadless()) IJ.log(report);
		}
		catch (IOException | IllegalArgumentException | IllegalStateException e) {
			Stops.failed(this, log, "Show Prompt Tokens", e.getMessage());
		}
	}
}
