package io.github.diffusej.cli;

import io.github.diffusej.model.TinyModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusej make-tiny-model}: a tiny random-weight SD 1.x-architecture model, for trying things out. */
@Command(name = "make-tiny-model", mixinStandardHelpOptions = true,
	description = "Write a tiny random-weight Stable Diffusion model folder (32x32 images) for trying things out.",
	footer = {"", ExitCodes.HELP})
final class TinyModelCli extends Subcommand {

	@Option(names = "--out", paramLabel = "DIR", defaultValue = "tiny-model", description = "the folder (${DEFAULT-VALUE})")
	Path out;

	@Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "seed of the weights (${DEFAULT-VALUE})")
	long seed;

	@Override
	void validate() {
		outputFolder("--out", out);
	}

	@Override
	int execute() throws IOException {
		out().println("wrote a tiny random-weight model to " + TinyModel.write(out, seed) + " (32x32 images)");
		return ExitCodes.OK;
	}
}
