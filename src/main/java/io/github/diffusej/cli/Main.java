package io.github.diffusej.cli;

import io.github.diffusej.engine.EngineInfo;
import io.github.diffusej.engine.Engines;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The headless command line: {@code diffusej <command> [options]}. Each command is a thin face over the core,
 * printing the same progress a Fiji run shows.
 */
public final class Main {

	/** A subcommand: returns the process exit code. */
	@FunctionalInterface
	interface Command {
		int run(String[] args) throws Exception;
	}

	private record Entry(String summary, Command command) {}

	private static final Map<String, Entry> COMMANDS = new TreeMap<>();

	static {
		COMMANDS.put("info", new Entry("start the engine and print device, versions and threads", Main::info));
		COMMANDS.put("generate", new Entry("generate images from a prompt into PNGs (settings kept in the PNG)",
			GenerateCli::generate));
		COMMANDS.put("tokens", new Entry("show how a prompt is tokenized and which trigger words fire", GenerateCli::tokens));
		COMMANDS.put("demo", new Entry("the main job on the bundled example: dataset, model, preview grid (offline)",
			DemoCli::run));
		COMMANDS.put("bench", new Entry("measure speed and memory of the generation pieces on this machine (table)",
			BenchCli::run));
		COMMANDS.put("dataset", new Entry("build, check or list captioned datasets (diffusej dataset --help)",
			DatasetCli::run));
		COMMANDS.put("make-tiny-model", new Entry("write a tiny random-weight SD model folder (for trying things out)",
			Main::makeTinyModel));
	}

	private Main() {}

	public static void main(String[] args) {
		System.exit(run(args, System.out, System.err));
	}

	static int run(String[] args, PrintStream out, PrintStream err) {
		if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
			usage(out);
			return args.length == 0 ? 2 : 0;
		}
		Entry e = COMMANDS.get(args[0]);
		if (e == null) {
			err.println("diffusej: unknown command '" + args[0] + "'");
			usage(err);
			return 2;
		}
		try {
			return e.command.run(Arrays.copyOfRange(args, 1, args.length));
		}
		catch (IllegalArgumentException ex) {
			err.println("diffusej " + args[0] + ": " + ex.getMessage());
			return 2;
		}
		catch (Exception ex) {
			err.println("diffusej " + args[0] + " failed: " + ex.getMessage());
			if (Boolean.getBoolean("diffusej.debug")) ex.printStackTrace(err);
			return 1;
		}
	}

	private static void usage(PrintStream out) {
		out.println("usage: diffusej <command> [options]   (diffusej <command> --help for its options)");
		out.println("commands:");
		COMMANDS.forEach((name, e) -> out.printf("  %-16s %s%n", name, e.summary()));
		out.println("engine settings: -Ddiffusej.device=auto|cpu|gpu -Ddiffusej.threads=N -Ddiffusej.download=true");
	}

	private static int makeTinyModel(String[] argv) throws Exception {
		Args a = new Args("make-tiny-model", argv, java.util.Set.of("out", "seed"), java.util.Set.of());
		java.nio.file.Path dir = io.github.diffusej.model.TinyModel.write(a.path("out", java.nio.file.Path.of("tiny-model")),
			a.longValue("seed", 1));
		System.out.println("wrote a tiny random-weight model to " + dir + " (32x32 images)");
		return 0;
	}

	private static int info(String[] args) {
		EngineInfo info = Engines.start();
		System.out.println(info.oneLine());
		return 0;
	}
}
