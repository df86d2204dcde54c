package io.github.diffusej.cli;

/**
 * The exit codes of {@code diffusej}, the same for every subcommand (listed by {@code diffusej --help} and in the
 * README), so that a cluster script can tell a typo from a broken file from a crash.
 */
public final class ExitCodes {

	/** Done. */
	public static final int OK = 0;
	/** The run failed while working: the engine, memory, a full disk, an internal error. */
	public static final int FAILED = 1;
	/**
	 * The command line is wrong: an unknown option, a missing or malformed value, a value out of range, a path
	 * that does not exist, options that do not go together. Nothing was loaded.
	 */
	public static final int USAGE = 2;
	/**
	 * An input file exists but cannot be used: not a model, a corrupt or mismatched safetensors file, a LoRA or
	 * embedding that does not fit the model, an unreadable dataset or sweep file.
	 */
	public static final int BAD_INPUT = 3;
	/** {@code dataset check} (or {@code dataset build --check}) found errors. */
	public static final int CHECK_FAILED = 4;
	/** Interrupted or cancelled (Ctrl-C, a cluster's wall-time signal); finished files are kept. */
	public static final int INTERRUPTED = 130;

	/** The exit-code section of {@code --help}. */
	static final String HELP = "Exit codes: 0 done; 1 failed while running (engine, memory, disk);%n" +
		"  2 bad command line (nothing was loaded); 3 bad input file (model, LoRA,%n" +
		"  embedding, dataset, sweep file); 4 dataset check found errors;%n" +
		"  130 interrupted (finished images and checkpoints are kept).";

	private ExitCodes() {}
}
