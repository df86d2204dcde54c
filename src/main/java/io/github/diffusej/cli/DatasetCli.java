package io.github.diffusej.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;

import io.github.diffusej.data.BuildReport;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetBuildRequest;
import io.github.diffusej.data.DatasetBuilder;
import io.github.diffusej.data.DatasetCheck;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.data.DatasetOptions;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.data.ImageSource;
import io.github.diffusej.data.JsonlColumns;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.data.RoiFiles;

/**
 * The {@code dataset} subcommand: {@code build}, {@code check} and {@code show}. Exit codes: 0 done, 1 failed
 * (bad data, refused folder), 2 bad command line, 3 check found errors, 130 interrupted.
 */
public final class DatasetCli {

	public static final String USAGE = """
		Usage: diffusej dataset build --out DIR [options] INPUT...
		       diffusej dataset check DATASET [--method ti|lora] [--token T] [--resolution PX]
		       diffusej dataset show DATASET [--image-column C --caption-column C --mask-column C]

		build   makes a captioned dataset from image files or folders (anything ImageJ opens: TIFF stacks and
		        hyperstacks, PNG, JPEG, ...). Output: DIR/train (+ DIR/validation), DIR/masks, DIR/dataset.json.
		check   warns before training: too few images, low variety, captions without the token, small images.
		show    lists the items of a dataset in any supported format (DiffuseJ folder, invoke-training
		        data.jsonl, diffusers metadata.jsonl, caption folder x.png + x.txt).
		Exit codes: 0 done, 1 failed (bad data, refused folder), 2 bad command line, 3 check found errors,
		130 cancelled.

		build options:
		  --out DIR                 dataset folder to create (required)
		  --recursive               also take images from sub-folders of folder INPUTs
		  --rois FILE               ImageJ .roi or RoiSet .zip applied to every input (roi-crops, masks)
		  --check ti|lora           run the dataset check after building
		  --quiet                   no progress lines
		""";

	private DatasetCli() {}

	/** Runs {@code dataset ARGS...}; prints to stdout/stderr and returns the exit code. */
	public static int run(String[] args) {
		return run(args, System.out, System.err);
	}

	/** Runs {@code dataset ARGS...} printing to the given streams (for tests and embedding). */
	public static int run(String[] args, PrintStream out, PrintStream err) {
		if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
			out.print(usage());
			return args.length == 0 ? 2 : 0;
		}
		String cmd = args[0];
		List<String> rest = List.of(args).subList(1, args.length);
		try {
			return switch (cmd) {
				case "build" -> build(rest, out, err);
				case "check" -> check(rest, out);
				case "show" -> show(rest, out);
				default -> throw new UsageException("unknown dataset command '" + cmd + "' (build, check, show)");
			};
		}
		catch (UsageException e) {
			err.println("diffusej dataset: " + e.getMessage());
			err.println("Run 'diffusej dataset --help' for the options.");
			return 2;
		}
		catch (IllegalArgumentException e) {
			err.println("diffusej dataset " + cmd + ": " + e.getMessage());
			return 2;
		}
		catch (CancellationException e) {
			err.println("diffusej dataset " + cmd + ": " + e.getMessage());
			return 130;
		}
		catch (IOException e) {
			err.println("diffusej dataset " + cmd + ": " + e.getMessage());
			return 1;
		}
	}

	/** The usage text with the build options of {@link DatasetOptions}. */
	public static String usage() {
		StringBuilder sb = new StringBuilder(USAGE);
		for (String[] o : DatasetOptions.OPTIONS) {
			String flag = "  --" + o[0].replace('_', '-') + " " + o[1];
			sb.append(String.format(Locale.ROOT, "%-28s", flag));
			if (flag.length() >= 28) sb.append("\n").append(" ".repeat(28));
			sb.append(o[2]).append('\n');
		}
		return sb.toString();
	}

	private static int build(List<String> args, PrintStream out, PrintStream err) throws IOException {
		DatasetOptions opts = new DatasetOptions();
		Path outDir = null;
		Path rois = null;
		boolean recursive = false;
		boolean quiet = false;
		String checkFor = null;
		List<Path> inputs = new ArrayList<>();
		for (int i = 0; i < args.size(); i++) {
			String a = args.get(i);
			if (!a.startsWith("--")) {
				inputs.add(Path.of(a));
				continue;
			}
			String name = a.substring(2);
			String value = null;
			int eq = name.indexOf('=');
			if (eq >= 0) {
				value = name.substring(eq + 1);
				name = name.substring(0, eq);
			}
			switch (name) {
				case "recursive" -> recursive = true;
				case "quiet" -> quiet = true;
				default -> {
					if (value == null && DatasetOptions.isBoolean(name)
						&& (i + 1 >= args.size() || args.get(i + 1).startsWith("--") || !isBool(args.get(i + 1))))
					{
						value = "true";
					}
					if (value == null) {
						if (i + 1 >= args.size()) throw new UsageException("--" + name + " needs a value");
						value = args.get(++i);
					}
					switch (name) {
						case "out" -> outDir = Path.of(value);
						case "rois" -> rois = Path.of(value);
						case "check" -> checkFor = value;
						default -> {
							try {
								opts.set(name, value);
							}
							catch (IllegalArgumentException e) {
								throw new UsageException(e.getMessage().startsWith("unknown option")
									? "unknown option --" + name : "--" + name + ": " + e.getMessage());
							}
						}
					}
				}
			}
		}
		if (outDir == null) throw new UsageException("--out DIR is required");
		if (inputs.isEmpty()) throw new UsageException("no INPUT image files or folders given");
		DatasetCheck.Method method = checkFor == null ? null : DatasetCheck.Method.parse(checkFor);
		// options first: a typo should not wait for the inputs to be listed
		var settings = opts.settings();
		var formats = opts.formatList();
		var policy = opts.existingPolicy();
		List<ImageSource> sources = new ArrayList<>();
		for (Path in : inputs) {
			if (Files.isDirectory(in)) sources.addAll(ImageSource.folder(in, recursive));
			else if (Files.isRegularFile(in)) sources.add(ImageSource.of(in));
			else throw new IOException(in + ": no such file or folder");
		}
		if (sources.isEmpty()) throw new IOException("no files found in " + inputs);
		if (rois != null) {
			var list = RoiFiles.read(rois);
			sources = sources.stream().map(s -> s.withRois(list)).toList();
		}
		DatasetBuildRequest req = new DatasetBuildRequest(opts.withProvenance(sources), outDir, formats, policy, settings);
		BuildReport report = DatasetBuilder.build(req, quiet ? ProgressListener.NONE : new ConsoleProgress(err));
		out.print(report.summary());
		if (method != null) {
			List<DatasetCheck.Finding> f = DatasetCheck.check(report.dataset(), method, opts.token, opts.resolution);
			out.println(DatasetCheck.format(f));
		}
		return 0;
	}

	private static boolean isBool(String s) {
		return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
	}

	private static int check(List<String> args, PrintStream out) throws IOException {
		Path ds = null;
		DatasetCheck.Method method = DatasetCheck.Method.LORA;
		String token = "";
		int resolution = 512;
		for (int i = 0; i < args.size(); i++) {
			String a = args.get(i);
			switch (a) {
				case "--method" -> method = DatasetCheck.Method.parse(value(args, ++i, a));
				case "--token" -> token = value(args, ++i, a);
				case "--resolution" -> resolution = intValue(value(args, ++i, a), a);
				default -> {
					if (a.startsWith("--")) throw new UsageException("unknown option " + a);
					if (ds != null) throw new UsageException("check takes one DATASET");
					ds = Path.of(a);
				}
			}
		}
		if (ds == null) throw new UsageException("check needs a DATASET");
		Dataset d = DatasetReader.read(ds);
		List<DatasetCheck.Finding> f = DatasetCheck.check(d, method, token, resolution);
		out.println(d.location() + ": " + d.items().size() + " training, " + d.validation().size()
			+ " validation items (" + d.format().id() + ")");
		out.println(DatasetCheck.format(f));
		return f.stream().anyMatch(x -> x.severity() == DatasetCheck.Severity.ERROR) ? 3 : 0;
	}

	private static int show(List<String> args, PrintStream out) throws IOException {
		Path ds = null;
		String image = null;
		String caption = null;
		String mask = null;
		for (int i = 0; i < args.size(); i++) {
			String a = args.get(i);
			switch (a) {
				case "--image-column" -> image = value(args, ++i, a);
				case "--caption-column" -> caption = value(args, ++i, a);
				case "--mask-column" -> mask = value(args, ++i, a);
				default -> {
					if (a.startsWith("--")) throw new UsageException("unknown option " + a);
					if (ds != null) throw new UsageException("show takes one DATASET");
					ds = Path.of(a);
				}
			}
		}
		if (ds == null) throw new UsageException("show needs a DATASET");
		Dataset d;
		if (image != null || caption != null || mask != null) {
			if (!Files.isRegularFile(ds)) throw new UsageException("column options need a .jsonl file");
			d = DatasetReader.readJsonl(ds, new JsonlColumns(image == null ? "image" : image,
				caption == null ? "text" : caption, mask));
		}
		else d = DatasetReader.read(ds);
		out.println(d.location() + " (" + d.format().id() + "): " + d.items().size() + " training, "
			+ d.validation().size() + " validation items");
		for (DatasetItem it : d.items()) print(out, "train", it);
		for (DatasetItem it : d.validation()) print(out, "validation", it);
		return 0;
	}

	private static void print(PrintStream out, String split, DatasetItem it) {
		out.println(split + "\t" + it.image() + "\t" + (it.mask() == null ? "-" : it.mask()) + "\t" + it.caption());
	}

	private static String value(List<String> args, int i, String opt) {
		if (i >= args.size()) throw new UsageException(opt + " needs a value");
		return args.get(i);
	}

	private static int intValue(String v, String opt) {
		try {
			return Integer.parseInt(v);
		}
		catch (NumberFormatException e) {
			throw new UsageException(opt + ": '" + v + "' is not a whole number");
		}
	}

	/** Progress lines on stderr, one per whole percent. */
	private static final class ConsoleProgress implements ProgressListener {

		private final PrintStream err;
		private int lastPercent = -1;

		ConsoleProgress(PrintStream err) {
			this.err = err;
		}

		@Override
		public void progress(int done, int total, String message) {
			int pct = total > 0 ? (int) (100L * done / total) : -1;
			if (pct == lastPercent && pct != 100) return;
			lastPercent = pct;
			err.println((pct >= 0 ? String.format(Locale.ROOT, "[%3d%%] ", pct) : "[    ] ") + message);
		}

		@Override
		public boolean isCancelled() {
			return Thread.currentThread().isInterrupted();
		}
	}

	private static final class UsageException extends IllegalArgumentException {

		private static final long serialVersionUID = 1L;

		UsageException(String message) {
			super(message);
		}
	}
}
