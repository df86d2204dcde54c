package io.github.diffusej.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --sweep FILE --index N}: a subcommand that mixes this in ({@code @Mixin SweepOptions sweep;}) runs one
 * combination of a grid of its own options, e.g. one task of a SLURM job array. {@link Main} reads the two options
 * before picocli parses the rest (see {@link Sweep}); the fields here only document them in {@code --help}.
 */
final class SweepOptions {

	/** The mixin name {@link Main} looks for. */
	static final String NAME = "sweep";

	@Option(names = "--sweep", paramLabel = "FILE", description = "a JSON file of option values to sweep, e.g. " +
		"{\"seed\": [1, 2], \"guidance\": [5, 7.5]}; {key} and {index} in other arguments (e.g. --out runs/{index}) " +
		"become the combination's values")
	Path file;

	@Option(names = "--index", paramLabel = "N", description = "which combination to run (0-based, e.g. " +
		"$SLURM_ARRAY_TASK_ID); without it the combinations are listed")
	Integer index;
}
