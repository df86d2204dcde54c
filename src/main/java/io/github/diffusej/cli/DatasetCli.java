package io.github.diffusej.cli;

import io.github.diffusej.ProgressListener;
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
import io.github.diffusej.data.RoiFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code diffusej dataset build|check|show}. The build options are those of {@link DatasetOptions} (the same set,
 * names and defaults as the Fiji command and its macro keys), added to {@code build} from its table.
 */
@Command(name = "dataset", mixinStandardHelpOptions = true,
	description = "Build, check or list captioned datasets (DiffuseJ folders, invoke-training data.jsonl, diffusers " +
		"metadata.jsonl, caption folders x.png + x.txt).",
	subcommands = {DatasetCli.Build.class, DatasetCli.Check.class, DatasetCli.Show.class},
	footer = {"", ExitCodes.HELP})
public final class DatasetCli implements Runnable {

	@CommandLine.Spec
	CommandLine.Model.CommandSpec spec;

	@Override
	public void run() {
		throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: build, check or show");
	}

	/** Runs {@code diffusej dataset ARGS...} printing to the given streams (for tests and embedding). */
	public static int run(String[] args, PrintStream out, PrintStream err) {
		String[] all = new String[args.length + 1];
		all[0] = "dataset";
		System.arraycopy(args, 0, all, 1, args.length);
		return Main.run(all, out, err);
	}

	/** Adds the {@link DatasetOptions} table to the {@code build} subcommand of {@code dataset}. */
	static void addBuildOptions(CommandLine dataset) {
		CommandLine.Model.CommandSpec build = dataset.getSubcommands().get("build").getCommandSpec();
		for (String[] o : DatasetOptions.OPTIONS) {
			OptionSpec.Builder b = OptionSpec.builder("--" + o[0].replace('_', '-')).type(String.class).paramLabel(o[1])
				.description(o[2]);
			// --masks alone means true, as a flag; --masks=false works too
			if (DatasetOptions.isBoolean(o[0])) b.arity("0..1").fallbackValue("true");
			build.addOption(b.build());
		}
	}

	/** Builds a dataset from files and folders (the demo's and {@code dataset build}'s path). */
	static BuildReport build(DatasetOptions opts, List<Path> inputs, Path outDir, boolean recursive, Path rois,
		ProgressListener progress) throws IOException
	{
		var settings = opts.settings();
		var formats = opts.formatList();
		var policy = opts.existingPolicy();
		List<ImageSource> sources = new ArrayList<>();
		for (Path in : inputs) {
			if (Files.isDirectory(in)) sources.addAll(ImageSource.folder(in, recursive));
			else sources.add(ImageSource.of(in));
		}
		if (sources.isEmpty()) throw CliException.usage("no image files found in " + inputs);
		if (rois != null) {
			var list = RoiFiles.read(rois);
			sources = sources.stream().map(s -> s.withRois(list)).toList();
		}
		DatasetBuildRequest req = new DatasetBuildRequest(opts.withProvenance(sources), outDir, formats, policy, settings);
		return DatasetBuilder.build(req, progress);
	}

	/** {@code ti}, {@code textual-inversion}, {@code lora} or {@code dora}. */
	static final class MethodName implements ITypeConverter<DatasetCheck.Method> {

		@Override
		public DatasetCheck.Method convert(String value) {
			try {
				return DatasetCheck.Method.parse(value);
			}
			catch (IllegalArgumentException e) {
				throw new TypeConversionException("'" + value + "' is not ti, textual-inversion, lora or dora");
			}
		}
	}

	@Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
		description = "Make a captioned dataset from image files or folders (anything ImageJ opens: TIFF stacks and " +
			"hyperstacks, PNG, JPEG, ...). Output: DIR/train (+ DIR/validation), DIR/masks, DIR/dataset.json.",
		footer = {"", ExitCodes.HELP})
	static final class Build extends Subcommand {

		@Option(names = "--out", required = true, paramLabel = "DIR", description = "dataset folder to create")
		Path out;

		@Option(names = "--recursive", description = "also take images from sub-folders of folder INPUTs")
		boolean recursive;

		@Option(names = "--rois", paramLabel = "FILE", description = "ImageJ .roi or RoiSet .zip applied to every input")
		Path rois;

		@Option(names = "--check", paramLabel = "ti|lora", converter = MethodName.class,
			description = "check the dataset after building (exit 4 when the check finds errors)")
		DatasetCheck.Method check;

		@Option(names = "--quiet", description = "no progress lines")
		boolean quiet;

		@Parameters(paramLabel = "INPUT", arity = "1..*", description = "image files or folders")
		List<Path> inputs;

		private final DatasetOptions opts = new DatasetOptions();

		@Override
		void validate() {
			for (String[] row : DatasetOptions.OPTIONS) {
				String option = "--" + row[0].replace('_', '-');
				String v = spec.findOption(option).getValue();
				if (v == null) continue;
				try {
					opts.set(row[0], v);
				}
				catch (IllegalArgumentException e) {
					throw CliException.usage(option + ": " + e.getMessage());
				}
			}
			try {
				opts.settings();
				opts.formatList();
				opts.existingPolicy();
			}
			catch (IllegalArgumentException e) {
				throw CliException.usage(e.getMessage());
			}
			for (Path in : inputs) existing("INPUT", in);
			existingFile("--rois", rois);
			if (Files.isRegularFile(out)) throw CliException.usage("--out " + out + " is a file, not a folder");
			refusedFolder(out, opts.existingPolicy());
		}

		@Override
		int execute() throws IOException {
			BuildReport report = build(opts, inputs, out, recursive, rois, quiet ? ProgressListener.NONE :
				new ConsoleProgress(err()));
			out().print(report.summary());
			if (check == null) return ExitCodes.OK;
			List<DatasetCheck.Finding> f = DatasetCheck.check(report.dataset(), check, opts.token, opts.resolution);
			out().println(DatasetCheck.format(f));
			return hasErrors(f) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
		}
	}

	/**
	 * The builder's rules for an existing output folder, checked before any image is read: a non-empty folder
	 * must hold a DiffuseJ dataset, and one that does is only added to or replaced when asked.
	 */
	static void refusedFolder(Path out, DatasetBuildRequest.ExistingPolicy policy) {
		if (!Files.isDirectory(out)) return;
		try (var list = Files.list(out)) {
			if (list.findAny().isEmpty()) return;
		}
		catch (IOException e) {
			throw CliException.usage("--out " + out + ": " + Main.describe(e));
		}
		if (!Files.isRegularFile(out.resolve(io.github.diffusej.data.DatasetManifest.FILE_NAME)))
			throw CliException.usage("--out " + out + " is not empty and holds no DiffuseJ dataset (no dataset.json): " +
				"choose a new or empty folder");
		if (policy == DatasetBuildRequest.ExistingPolicy.REFUSE) throw CliException.usage("--out " + out +
			" holds a dataset already: choose another folder, or --if-exists add or replace");
	}

	static boolean hasErrors(List<DatasetCheck.Finding> findings) {
		return findings.stream().anyMatch(x -> x.severity() == DatasetCheck.Severity.ERROR);
	}

	@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
		description = "Warn before training: too few images, low variety, captions without the token, small images.",
		footer = {"", "Exit code 4 when the check finds errors.", ExitCodes.HELP})
	static final class Check extends Subcommand {

		@Parameters(paramLabel = "DATASET", arity = "1", description = "a dataset folder or .jsonl file")
		Path dataset;

		@Option(names = "--method", paramLabel = "ti|lora", defaultValue = "lora", converter = MethodName.class,
			description = "what the dataset is for (${DEFAULT-VALUE})")
		DatasetCheck.Method method;

		@Option(names = "--token", paramLabel = "T", defaultValue = "", description = "the trigger token captions should hold")
		String token;

		@Option(names = "--resolution", paramLabel = "PX", defaultValue = "512", description = "training resolution (${DEFAULT-VALUE})")
		int resolution;

		@Override
		void validate() {
			existing("DATASET", dataset);
			inRange("--resolution", resolution, 8, 8192);
		}

		@Override
		int execute() throws IOException {
			Dataset d = DatasetReader.read(dataset);
			List<DatasetCheck.Finding> f = DatasetCheck.check(d, method, token, resolution);
			out().println(d.location() + ": " + d.items().size() + " training, " + d.validation().size() +
				" validation items (" + d.format().id() + ")");
			out().println(DatasetCheck.format(f));
			return hasErrors(f) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
		}
	}

	@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
		description = "List the items of a dataset in any supported format, one per line: split, image, mask, caption.",
		footer = {"", ExitCodes.HELP})
	static final class Show extends Subcommand {

		@Parameters(paramLabel = "DATASET", arity = "1", description = "a dataset folder or .jsonl file")
		Path dataset;

		@Option(names = "--image-column", paramLabel = "C", description = "image column of a .jsonl file (image)")
		String image;

		@Option(names = "--caption-column", paramLabel = "C", description = "caption column of a .jsonl file (text)")
		String caption;

		@Option(names = "--mask-column", paramLabel = "C", description = "mask column of a .jsonl file (none)")
		String mask;

		@Override
		void validate() {
			existing("DATASET", dataset);
			if ((image != null || caption != null || mask != null) && !Files.isRegularFile(dataset))
				throw CliException.usage("--image-column, --caption-column and --mask-column need a .jsonl file");
		}

		@Override
		int execute() throws IOException {
			Dataset d = image != null || caption != null || mask != null ? DatasetReader.readJsonl(dataset,
				new JsonlColumns(image == null ? "image" : image, caption == null ? "text" : caption, mask)) :
				DatasetReader.read(dataset);
			out().println(d.location() + " (" + d.format().id() + "): " + d.items().size() + " training, " +
				d.validation().size() + " validation items");
			for (DatasetItem it : d.items()) print("train", it);
			for (DatasetItem it : d.validation()) print("validation", it);
			return ExitCodes.OK;
		}

		private void print(String split, DatasetItem it) {
			out().println(split + "\t" + it.image() + "\t" + (it.mask() == null ? "-" : it.mask()) + "\t" + it.caption());
		}
	}
}
