package io.github.diffusej.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A {@code diffusej} subcommand: picocli fills the annotated fields, then {@link #validate()} checks every value
 * and path (nothing is loaded yet, so a typo costs nothing), then {@link #execute()} does the work. Progress and
 * notes go to {@link #err()}, results (written files, reports, tables) to {@link #out()}.
 *
 * <p>To add a subcommand: extend this class, annotate it with {@code @Command(name = "...", description = ...,
 * mixinStandardHelpOptions = true)}, add {@code @Mixin SweepOptions sweep;} if {@code --sweep FILE --index N}
 * should run one combination of a grid of its options, and list the class in {@link Main#SUBCOMMANDS}.
 */
abstract class Subcommand implements Callable<Integer> {

	@Spec
	CommandSpec spec;

	@Option(names = "--debug", description = "print stack traces of failures")
	boolean debug;

	/** Checks the options before anything is loaded; throws {@link CliException} naming the option or file. */
	void validate() throws Exception {}

	/** Does the work; returns the exit code. */
	abstract int execute() throws Exception;

	@Override
	public final Integer call() throws Exception {
		validate();
		return execute();
	}

	PrintWriter out() {
		return spec.commandLine().getOut();
	}

	PrintWriter err() {
		return spec.commandLine().getErr();
	}

	/** An input path that must exist (a file or a folder). */
	static Path existing(String option, Path p) {
		if (p == null) return null;
		if (!Files.exists(p)) throw CliException.usage(option + " " + p + ": no such file or folder");
		return p;
	}

	/** An input path that must be a regular file. */
	static Path existingFile(String option, Path p) {
		existing(option, p);
		if (p != null && !Files.isRegularFile(p)) throw CliException.usage(option + " " + p + ": not a file");
		return p;
	}

	/** An input path that must be a folder. */
	static Path existingFolder(String option, Path p) {
		existing(option, p);
		if (p != null && !Files.isDirectory(p)) throw CliException.usage(option + " " + p + ": not a folder");
		return p;
	}

	/** An output folder: created now (so a wrong or read-only path fails before any loading) and writable. */
	static Path outputFolder(String option, Path p) {
		if (Files.exists(p) && !Files.isDirectory(p)) throw CliException.usage(option + " " + p +
			" is a file, not a folder");
		try {
			Files.createDirectories(p);
		}
		catch (java.io.IOException e) {
			throw CliException.usage(option + " " + p + ": cannot create the folder (" + Main.describe(e) + ")");
		}
		if (!Files.isWritable(p)) throw CliException.usage(option + " " + p + ": the folder is not writable");
		return p;
	}

	/** A whole number in a range. */
	static int inRange(String option, int value, int min, int max) {
		if (value < min || value > max) throw CliException.usage(option + " must be " + min + ".." + max + ", not " +
			value);
		return value;
	}
}
