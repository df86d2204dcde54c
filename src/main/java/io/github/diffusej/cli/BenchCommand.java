package io.github.diffusej.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusej bench}: the options of {@link BenchCli}, checked before anything is measured. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Measure speed and memory of the generation pieces on this machine and print them as a table. " +
		"Each time is the median of --repeats runs after a warm-up.",
	footer = {"", ExitCodes.HELP})
final class BenchCommand extends Subcommand {

	@Option(names = "--model", paramLabel = "DIR|FILE",
		description = "model to measure (default: a tiny random-weight model made in a temporary folder)")
	Path model;

	@Option(names = "--size", paramLabel = "PX", description = "image side (default: the model's native resolution)")
	Integer size;

	@Option(names = "--repeats", paramLabel = "N", defaultValue = "5",
		description = "timed runs per row, median reported (${DEFAULT-VALUE})")
	int repeats;

	@Option(names = "--rss-steps", paramLabel = "N", defaultValue = "200",
		description = "denoising steps of the memory-flatness row (${DEFAULT-VALUE})")
	int rssSteps;

	@Override
	void validate() {
		existing("--model", model);
		if (size != null) inRange("--size", size, 8, 4096);
		inRange("--repeats", repeats, 1, 1000);
		inRange("--rss-steps", rssSteps, 1, 100_000);
	}

	@Override
	int execute() throws Exception {
		return BenchCli.run(model, size, repeats, rssSteps, out(), err());
	}
}
