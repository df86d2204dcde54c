package io.github.diffusej.cli;

import io.github.diffusej.data.DatasetException;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.model.loader.ModelLoadException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The headless command line: {@code diffusej <command> [options]}, one picocli subcommand per job. Both
 * {@code --x=y} and {@code --x y} work, {@code -h}/{@code --help} anywhere shows a subcommand's options, progress
 * goes to stderr and results to stdout, and every failure is one line naming the option or file with an exit
 * code of {@link ExitCodes} (stack traces only with {@code --debug}).
 */
@Command(name = "diffusej", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
	description = "Captioned datasets, textual inversion / LoRA tooling and image generation for Stable Diffusion 1.x/2.x.",
	subcommands = CommandLine.HelpCommand.class,
	footer = {"", "Run 'diffusej <command> --help' for a command's options.",
		"Engine settings go in DIFFUSEJ_JAVA_OPTS: -Ddiffusej.device=auto|cpu|gpu%n" +
		"  -Ddiffusej.threads=N -Ddiffusej.download=true -Xmx16g", "", ExitCodes.HELP})
public final class Main implements Runnable {

	/** The subcommands, in the order {@code --help} lists them. Add new ones here. */
	static final List<Class<?>> SUBCOMMANDS = List.of(DemoCli.class, DatasetCli.class, TrainCli.Ti.class,
		TrainCli.Lora.class, GenerateCli.class, TokensCli.class, BenchCommand.class, InfoCli.class, TinyModelCli.class);

	@CommandLine.Spec
	CommandSpec spec;

	private Main() {}

	@Override
	public void run() {
		throw new CommandLine.ParameterException(spec.commandLine(), "no command given");
	}

	public static void main(String[] args) {
		// Library logging (DJL) through our one-line console logger instead of SLF4J's "no providers" warning.
		if (System.getProperty("slf4j.provider") == null) {
			System.setProperty("slf4j.provider", ConsoleLog.class.getName());
			// SLF4J announces an explicitly chosen provider at INFO level; only its warnings are of interest
			if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "WARN");
		}
		ConsoleLog.debug = Arrays.asList(args).contains("--debug");
		int[] code = {ExitCodes.FAILED};
		// The work runs on its own thread so that SIGTERM/Ctrl-C (a cluster's wall-time limit) interrupts it between
		// steps: finished files stay, no temporary file is left, and the console says what happened.
		Thread worker = new Thread(() -> code[0] = run(args, System.out, System.err), "diffusej");
		Thread hook = new Thread(() -> {
			if (!worker.isAlive()) return;
			worker.interrupt();
			try {
				worker.join(10_000);
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}, "diffusej-shutdown");
		Runtime.getRuntime().addShutdownHook(hook);
		worker.start();
		try {
			worker.join();
		}
		catch (InterruptedException e) {
			worker.interrupt();
		}
		System.out.flush();
		System.err.flush();
		try {
			Runtime.getRuntime().removeShutdownHook(hook);
		}
		catch (IllegalStateException e) {
			return; // the JVM is shutting down (SIGTERM, Ctrl-C): it exits with the signal's status once the hook is done
		}
		System.exit(code[0]);
	}

	/** Runs one command line, printing to the given streams; returns the exit code. */
	public static int run(String[] args, PrintStream outStream, PrintStream errStream) {
		PrintWriter out = new PrintWriter(new OutputStreamWriter(outStream, StandardCharsets.UTF_8), true);
		PrintWriter err = new PrintWriter(new OutputStreamWriter(errStream, StandardCharsets.UTF_8), true);
		boolean debug = Arrays.asList(args).contains("--debug");
		CommandLine cl = commandLine(out, err);
		try {
			String[] expanded = expandSweep(cl, args, out, err);
			if (expanded == null) return ExitCodes.OK;
			if (expanded.length == 0) {
				err.println("diffusej: no command given");
				cl.usage(err);
				return ExitCodes.USAGE;
			}
			return cl.execute(expanded);
		}
		catch (Throwable t) {
			return report(cl.getCommandSpec().qualifiedName(), t, err, debug);
		}
		finally {
			out.flush();
			err.flush();
		}
	}

	/** The command tree with this project's parsing rules and one-line error reporting. */
	static CommandLine commandLine(PrintWriter out, PrintWriter err) {
		CommandLine cl = new CommandLine(new Main());
		for (Class<?> c : SUBCOMMANDS) {
			CommandLine sub = new CommandLine(c);
			if (c == DatasetCli.class) DatasetCli.addBuildOptions(sub);
			cl.addSubcommand(sub);
		}
		cl.setCaseInsensitiveEnumValuesAllowed(true);
		cl.setOut(out);
		cl.setErr(err);
		cl.setParameterExceptionHandler((ex, a) -> {
			CommandLine c = ex.getCommandLine();
			String name = c.getCommandSpec().qualifiedName();
			// A typo explains the rest: report an unknown option before "--x is required".
			String unknown = ex instanceof CommandLine.MissingParameterException ? unknownOption(c.getCommandSpec(), a) : null;
			err.println(name + ": " + (unknown != null ? unknown : usageMessage(ex)) + " (see '" + name + " --help')");
			return ExitCodes.USAGE;
		});
		cl.setExecutionExceptionHandler((ex, c, parsed) -> report(c.getCommandSpec().qualifiedName(), ex, err,
			Arrays.asList(parsed.originalArgs().toArray(new String[0])).contains("--debug")));
		return cl;
	}

	/** One line for a command-line error; unknown options come with the closest known ones. */
	static String usageMessage(CommandLine.ParameterException ex) {
		if (ex instanceof CommandLine.UnmatchedArgumentException u) {
			List<String> unmatched = u.getUnmatched();
			String first = unmatched.isEmpty() ? "?" : unmatched.get(0);
			CommandSpec s = ex.getCommandLine().getCommandSpec();
			if (first.startsWith("-")) return unknown(s, first);
			if (s.subcommands().isEmpty()) return "unexpected argument '" + first + "'";
			TreeSet<String> commands = new TreeSet<>(s.subcommands().keySet());
			List<String> close = closest(first, commands);
			return "unknown command '" + first + "'; " + (close.isEmpty() ? "the commands are " + String.join(", ",
				commands) : "did you mean " + String.join(" or ", close) + "?");
		}
		if (ex instanceof CommandLine.MissingParameterException m) {
			String msg = ex.getMessage();
			if (msg.startsWith("Missing required parameter for option")) {
				ArgSpec a = m.getMissing().isEmpty() ? null : m.getMissing().get(0);
				return (a instanceof OptionSpec o ? o.longestName() : "an option") + " needs a value";
			}
			List<String> names = new ArrayList<>();
			for (ArgSpec a : m.getMissing()) names.add(a instanceof OptionSpec o ? o.longestName() : a.paramLabel());
			return String.join(", ", names) + (names.size() == 1 ? " is" : " are") + " required";
		}
		String msg = ex.getMessage();
		// picocli: "Invalid value for option '--steps': 'x' is not an int" -> "--steps: 'x' is not an int"
		msg = msg.replaceFirst("^Invalid value for option '([^']+)': ", "$1: ");
		msg = msg.replaceFirst("^Expected parameter for option '([^']+)' but found '([^']+)'", "$1 needs a value, not $2");
		return oneLine(lowerFirst(msg));
	}

	/** The first argument that looks like an option the command does not have, described; else null. */
	static String unknownOption(CommandSpec s, String[] args) {
		if (args == null) return null;
		boolean below = s.parent() == null;
		for (String a : args) {
			if (!below) {
				below = a.equals(s.name()); // options before the subcommand's name belong to its parents
				continue;
			}
			if (a.equals("--")) return null;
			if (!a.startsWith("--")) continue;
			String name = a.replaceFirst("=.*", "");
			if (s.findOption(name) == null) return unknown(s, name);
		}
		return null;
	}

	private static String unknown(CommandSpec s, String option) {
		String name = option.replaceFirst("=.*", "");
		TreeSet<String> names = new TreeSet<>();
		for (OptionSpec o : s.options()) for (String n : o.names()) if (n.startsWith("--")) names.add(n);
		List<String> close = closest(name, names);
		return "unknown option '" + name + "'; " + (close.isEmpty() ? "the options are " + String.join(", ", names) :
			"did you mean " + String.join(" or ", close) + "?");
	}

	/**
	 * The known names closest to a misspelt one, best first: names it is a prefix of, and names within a small
	 * edit distance (a third of the length, at least 2), sorted by distance and then alphabetically; at most 3.
	 */
	static List<String> closest(String typed, java.util.Collection<String> known) {
		String t = typed.toLowerCase(Locale.ROOT);
		record Scored(String name, int score) {}
		List<Scored> hits = new ArrayList<>();
		for (String k : known) {
			String n = k.toLowerCase(Locale.ROOT);
			int d = editDistance(t, n);
			boolean prefix = t.length() >= 3 && n.startsWith(t);
			int limit = Math.max(2, strip(t).length() / 3);
			if (prefix || d <= limit) hits.add(new Scored(k, prefix ? 0 : d));
		}
		hits.sort(java.util.Comparator.comparingInt(Scored::score).thenComparing(Scored::name));
		return hits.stream().limit(3).map(Scored::name).toList();
	}

	private static String strip(String option) {
		return option.replaceFirst("^-+", "");
	}

	/** Levenshtein distance, with a swap of two neighbours counting as one edit (Damerau). */
	static int editDistance(String a, String b) {
		int[][] d = new int[a.length() + 1][b.length() + 1];
		for (int i = 0; i <= a.length(); i++) d[i][0] = i;
		for (int j = 0; j <= b.length(); j++) d[0][j] = j;
		for (int i = 1; i <= a.length(); i++)
			for (int j = 1; j <= b.length(); j++) {
				int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
				d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
				if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
					d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
			}
		return d[a.length()][b.length()];
	}

	/**
	 * Reads {@code --sweep FILE} and {@code --index N} (for subcommands that mix in {@link SweepOptions}) and
	 * returns the arguments of combination N: the sweep's options appended, {@code {index}}/{@code {key}}
	 * substituted. Without {@code --index} the combinations are listed on {@code out} and null is returned.
	 */
	static String[] expandSweep(CommandLine root, String[] args, PrintWriter out, PrintWriter err) {
		List<String> rest = new ArrayList<>();
		String file = null, index = null;
		for (int i = 0; i < args.length; i++) {
			String a = args[i];
			if (a.equals("--sweep") || a.equals("--index")) {
				if (i + 1 >= args.length) throw CliException.usage(a + " needs a value");
				if (a.equals("--sweep")) file = args[++i];
				else index = args[++i];
			}
			else if (a.startsWith("--sweep=")) file = a.substring(8);
			else if (a.startsWith("--index=")) index = a.substring(8);
			else rest.add(a);
		}
		if (file == null && index == null) return args;
		CommandLine target = root;
		for (String a : rest) {
			if (a.startsWith("-")) break;
			CommandLine sub = target.getSubcommands().get(a);
			if (sub == null) break;
			target = sub;
		}
		CommandSpec spec = target.getCommandSpec();
		String name = spec.qualifiedName();
		if (!spec.mixins().containsKey(SweepOptions.NAME)) throw CliException.usage(name + " does not take --sweep");
		if (file == null) throw CliException.usage("--index needs --sweep FILE");
		Sweep sweep = Sweep.read(java.nio.file.Path.of(file));
		for (String key : sweep.axes().keySet()) {
			OptionSpec o = spec.findOption("--" + key);
			if (o == null) throw CliException.badInput(file + ": '" + key + "' is not an option of " + name);
			for (String a : rest)
				for (String n : o.names())
					if (a.equals(n) || a.startsWith(n + "=")) throw CliException.usage(n + " is given on the command " +
						"line and swept in " + file + ": give it in one place");
		}
		if (index == null) {
			out.println(file + ": " + sweep.size() + " combination" + (sweep.size() == 1 ? "" : "s") + " (--index 0-" +
				(sweep.size() - 1) + ")");
			for (int i = 0; i < sweep.size(); i++) out.println(i + "\t" + options(spec, sweep.combination(i)));
			return null;
		}
		int n;
		try {
			n = Integer.parseInt(index.trim());
		}
		catch (NumberFormatException e) {
			throw CliException.usage("--index must be a whole number, not '" + index + "'");
		}
		Map<String, String> combination = sweep.combination(n);
		List<String> expanded = new ArrayList<>();
		for (String a : rest) expanded.add(Sweep.substitute(a, n, combination));
		for (Map.Entry<String, String> e : combination.entrySet()) {
			OptionSpec o = spec.findOption("--" + e.getKey());
			if (o.arity().max() == 0) {
				if (Boolean.parseBoolean(e.getValue())) expanded.add("--" + e.getKey());
			}
			else expanded.add("--" + e.getKey() + "=" + e.getValue());
		}
		err.println(name + ": sweep " + file + ", combination " + n + " of 0-" + (sweep.size() - 1) + ": " +
			options(spec, combination));
		return expanded.toArray(new String[0]);
	}

	private static String options(CommandSpec spec, Map<String, String> combination) {
		List<String> parts = new ArrayList<>();
		for (Map.Entry<String, String> e : combination.entrySet()) {
			String v = e.getValue();
			parts.add("--" + e.getKey() + "=" + (v.contains(" ") || v.isEmpty() ? "'" + v + "'" : v));
		}
		return String.join(" ", parts);
	}

	/**
	 * Prints a failure in one line ("diffusej generate: <file>: <problem>") and returns its exit code; with
	 * {@code debug} the stack trace follows.
	 */
	static int report(String command, Throwable t, PrintWriter err, boolean debug) {
		Throwable e = unwrap(t);
		int code;
		String msg;
		boolean expected = true;
		if (e instanceof CliException c) {
			code = c.exitCode;
			msg = c.getMessage();
		}
		else if (e instanceof CommandLine.ParameterException p) {
			code = ExitCodes.USAGE;
			msg = usageMessage(p);
		}
		else if (e instanceof ModelLoadException || e instanceof SafetensorsException || e instanceof DatasetException
			|| e instanceof NoSuchFileException || e instanceof FileNotFoundException
			|| e instanceof IllegalArgumentException)
		{
			// Options were checked before running: what is refused now is the content of an input file.
			code = ExitCodes.BAD_INPUT;
			msg = describe(e);
		}
		else if (e instanceof CancellationException || e instanceof InterruptedException
			|| e instanceof ClosedByInterruptException)
		{
			code = ExitCodes.INTERRUPTED;
			msg = "interrupted" + (e.getMessage() == null || e.getMessage().isBlank() ? "" : " (" + e.getMessage() + ")") +
				"; files finished so far are kept";
		}
		else if (e instanceof OutOfMemoryError) {
			code = ExitCodes.FAILED;
			msg = "out of memory (" + e.getMessage() + "; this Java may use " + String.format(Locale.ROOT, "%.1f GB",
				Runtime.getRuntime().maxMemory() / 1e9) + "): allow more with DIFFUSEJ_JAVA_OPTS=-Xmx<size>, or use " +
				"smaller images or fewer at a time";
		}
		else if (e instanceof StackOverflowError) {
			code = ExitCodes.FAILED;
			msg = "stack overflow (an input nested too deeply?); rerun with --debug and report it";
		}
		else if (e instanceof Error) {
			code = ExitCodes.FAILED;
			msg = "internal error: " + e;
			expected = false;
		}
		else if (e instanceof IOException) {
			code = ExitCodes.FAILED;
			msg = describe(e);
		}
		else {
			code = ExitCodes.FAILED;
			msg = e.getClass().getSimpleName() + ": " + e.getMessage();
			expected = false;
		}
		err.println(command + ": " + oneLine(msg) + (expected || debug ? "" : " (--debug shows where)"));
		if (debug) t.printStackTrace(err);
		err.flush();
		return code;
	}

	private static Throwable unwrap(Throwable t) {
		Throwable e = t;
		while ((e instanceof CommandLine.ExecutionException || e instanceof UncheckedIOException
			|| e instanceof ExecutionException || e instanceof java.lang.reflect.InvocationTargetException
			|| (e instanceof RuntimeException && e.getClass() == RuntimeException.class && e.getMessage() != null
				&& e.getMessage().startsWith("Module threw"))) && e.getCause() != null)
			e = e.getCause();
		return e;
	}

	/** A message for an exception that names the file where Java's own messages are only the path. */
	static String describe(Throwable e) {
		if (e instanceof NoSuchFileException n) return n.getFile() + ": no such file or folder";
		if (e instanceof AccessDeniedException a) return a.getFile() + ": permission denied";
		if (e instanceof FileSystemException f && f.getReason() != null) return f.getFile() + ": " + f.getReason();
		String m = e.getMessage();
		return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
	}

	static String oneLine(String s) {
		return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
	}

	private static String lowerFirst(String s) {
		return s.isEmpty() || s.length() > 1 && Character.isUpperCase(s.charAt(1)) ? s :
			Character.toLowerCase(s.charAt(0)) + s.substring(1);
	}

	/** The jar's version. */
	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() {
			String v = Main.class.getPackage().getImplementationVersion();
			return new String[] {"DiffuseJ " + (v == null ? "(development build)" : v)};
		}
	}
}
