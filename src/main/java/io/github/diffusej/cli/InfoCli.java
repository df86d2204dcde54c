package io.github.diffusej.cli;

import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.engine.JnaCheck;
import picocli.CommandLine.Command;

/** {@code diffusej info}: starts the engine and prints what DiffuseJ runs on. */
@Command(name = "info", mixinStandardHelpOptions = true,
	description = "Start the engine and print device, versions and threads (and a warning when a GPU goes unused).",
	footer = {"", ExitCodes.HELP})
final class InfoCli extends Subcommand {

	@Override
	int execute() {
		String jna = JnaCheck.problem();
		if (jna != null) err().println("warning: " + jna);
		out().println(Engines.start(EngineOptions.fromEnvironment(), line -> {}).oneLine()); // the line is the result
		return ExitCodes.OK;
	}
}
