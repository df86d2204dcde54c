package io.github.diffusej.cli;

/**
 * A failure the command line reports in one line with its own exit code: a bad command line
 * ({@link ExitCodes#USAGE}) or a bad input file ({@link ExitCodes#BAD_INPUT}). The message names the option or the
 * file and the problem.
 */
final class CliException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	final int exitCode;

	private CliException(int exitCode, String message) {
		super(message);
		this.exitCode = exitCode;
	}

	/** The command line is wrong (exit 2). */
	static CliException usage(String message) {
		return new CliException(ExitCodes.USAGE, message);
	}

	/** An input file cannot be used (exit 3). */
	static CliException badInput(String message) {
		return new CliException(ExitCodes.BAD_INPUT, message);
	}
}
