package io.github.diffusej.cli;

import io.github.diffusej.ProgressListener;
import io.github.diffusej.data.BuildReport;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetCheck;
import io.github.diffusej.data.DatasetOptions;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.engine.EngineInfo;
import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GenerationLimits;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.report.BeforeAfter;
import io.github.diffusej.report.DemoPage;
import io.github.diffusej.report.RunSummary;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.Trainer;
import io.github.diffusej.train.TrainingException;
import io.github.diffusej.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusej demo}: the main job on the bundled example, end to end and offline, in one run folder. It builds
 * a captioned dataset from {@code examples/cells.tif}, trains a textual inversion and a LoRA on it, renders the
 * same prompts and seeds with the base model, with the embedding and with the LoRA, and writes {@code index.html}
 * showing all of it ({@link DemoPage}). Without {@code --model} the base model is a tiny random-weight model made on
 * the spot, sized so that the whole demo takes a few minutes on two CPU cores; with a real SD 1.x/2.x checkpoint
 * the same run trains at the model's native size for longer.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
	description = "The main job on the bundled example: dataset, textual inversion, LoRA, before/after previews " +
		"and an HTML report (offline).",
	footer = {"", "Layout: OUT/dataset, OUT/ti and OUT/lora (training run folders), OUT/previews, OUT/index.html " +
		"(and OUT/tiny-model without --model).",
		"Real model: diffusej demo --model /path/to/stable-diffusion-v1-5 --out demo-sd15 (defaults then: native " +
			"size, " + DemoCli.REAL_STEPS + " steps each; a GPU makes that minutes).", "", ExitCodes.HELP})
final class DemoCli extends Subcommand {

	/** The trigger of both trained results, as in every shipped macro. */
	static final String TOKEN = "<my-cell>";
	/** Training steps of each run on the tiny model and on a real one. */
	static final int TINY_STEPS = 50, REAL_STEPS = 300;
	/** What the demo writes into OUT; only these are replaced by {@code --overwrite}. */
	static final List<String> ENTRIES = List.of("dataset", "tiny-model", "ti", "lora", "previews", "index.html");

	@Option(names = "--out", paramLabel = "DIR", defaultValue = "demo-out", description = "the run folder (${DEFAULT-VALUE})")
	Path out;

	@Option(names = "--example", paramLabel = "FILE", defaultValue = "examples/cells.tif",
		description = "the image stack to learn from (${DEFAULT-VALUE})")
	Path example;

	@Option(names = "--model", paramLabel = "DIR|FILE", description = "a Stable Diffusion 1.x/2.x model: diffusers " +
		"folder or single .safetensors file (default: a tiny random-weight model made in OUT/tiny-model, whose " +
		"images are noise: it shows the machinery, not art)")
	Path model;

	@Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer folder for a single-file checkpoint")
	Path tokenizer;

	@Option(names = "--steps", paramLabel = "N", description = "training steps of each run (default " + TINY_STEPS +
		" on the tiny model, " + REAL_STEPS + " on a real one)")
	Integer steps;

	@Option(names = "--resolution", paramLabel = "PX", description = "training and preview size (default: the " +
		"model's native size: 32 for the tiny model, 512 for SD 1.5, 768 for SD 2.1-v)")
	Integer resolution;

	@Option(names = "--tile", paramLabel = "PX", defaultValue = "64", description = "side of the dataset's tiles cut " +
		"from the example (${DEFAULT-VALUE}; the bundled stack is 192 px; training resizes them to --resolution)")
	int tile;

	@Option(names = "--sample-steps", paramLabel = "N", description = "denoising steps of the previews and " +
		"validation images (default 20 on the tiny model, " + GenerationRequest.DEFAULT_STEPS + " on a real one)")
	Integer sampleSteps;

	@Option(names = "--prompt", paramLabel = "TEXT", description = "a preview prompt with " + TOKEN + " (repeatable; " +
		"default: two prompts about nuclei)")
	List<String> prompts = new ArrayList<>();

	@Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "first preview seed; the previews " +
		"use this and the next one, training uses it too (${DEFAULT-VALUE})")
	long seed;

	@Option(names = "--overwrite", description = "replace the files of an earlier demo in OUT (only its own: " +
		"dataset, tiny-model, ti, lora, previews, index.html)")
	boolean overwrite;

	private boolean tiny;

	@Override
	void validate() throws IOException {
		if (!Files.isRegularFile(example)) throw CliException.usage("--example " + example + " not found: run the demo " +
			"from the project folder or pass --example");
		existing("--model", model);
		existingFolder("--tokenizer", tokenizer);
		tiny = model == null;
		if (steps != null) inRange("--steps", steps, 1, 1_000_000);
		if (resolution != null) inRange("--resolution", resolution, 8, 4096);
		inRange("--tile", tile, 8, 4096);
		if (sampleSteps != null) inRange("--sample-steps", sampleSteps, 1, 1000);
		if (seed < 0 || seed > Long.MAX_VALUE - 1) throw CliException.usage("--seed must be 0 or more, not " + seed);
		if (prompts.isEmpty()) prompts = List.of("a fluorescent micrograph of " + TOKEN + " nuclei",
			"a confocal image of " + TOKEN + " nuclei, high quality");
		for (String p : prompts) {
			if (p.isBlank()) throw CliException.usage("--prompt must not be empty");
			if (!p.contains(TOKEN)) throw CliException.usage("--prompt '" + p + "' lacks " + TOKEN + ": the trained " +
				"embedding and the LoRA's trigger are that token, so put it into every preview prompt");
		}
		outputFolder("--out", out);
		List<Path> earlier = earlierEntries();
		if (!earlier.isEmpty() && !overwrite) throw CliException.usage("--out " + out + " already holds a demo run (" +
			earlier.get(0).getFileName() + (earlier.size() > 1 ? ", ..." : "") + "): choose another --out, or add " +
			"--overwrite to replace it");
		if (model != null) {
			Path m = model.toAbsolutePath().normalize();
			for (String e : ENTRIES)
				if (m.startsWith(out.toAbsolutePath().normalize().resolve(e))) throw CliException.usage("--model " + model
					+ " lies inside the demo's own " + e + " folder, which the demo replaces; copy it elsewhere first");
			int side = nativeSize(model, tokenizer);
			if (resolution == null) resolution = side;
			checkSize(model, tokenizer, resolution);
		}
	}

	private List<Path> earlierEntries() {
		List<Path> found = new ArrayList<>();
		for (String e : ENTRIES) if (Files.exists(out.resolve(e))) found.add(out.resolve(e));
		return found;
	}

	@Override
	int execute() throws IOException {
		List<DemoPage.Phase> phases = new ArrayList<>();
		long t = System.nanoTime();
		err().println("== 1. Engine");
		EngineOptions options = EngineOptions.fromEnvironment();
		if (tiny && options.threads() == 0) {
			// The tiny model's operations take microseconds: splitting them over threads costs more than it saves
			// (and on a shared machine PyTorch's spinning worker threads make a run 10x slower). DIFFUSEJ_THREADS wins.
			options = new EngineOptions(options.device(), options.allowDownload(), 1);
		}
		EngineInfo engine = Engines.start(options, err()::println);
		if (overwrite) for (Path p : earlierEntries()) {
			err().println("removing the earlier " + p);
			deleteTree(p);
		}

		err().println("== 2. Captioned dataset from " + example);
		Path datasetDir = out.resolve("dataset");
		DatasetOptions o = new DatasetOptions();
		o.set("sizing", "tile");
		o.set("resolution", Integer.toString(tile));
		o.set("tile_overlap", "0");
		o.set("token", TOKEN);
		o.set("caption_template", "a fluorescent micrograph of {token} nuclei, slice {z}");
		o.set("validation_fraction", "0.1");
		o.set("licence", "CC0-1.0");
		o.set("source", "synthetic stack made by examples/MakeExampleStack.java");
		BuildReport built = DatasetCli.build(o, List.of(example), datasetDir, false, null, ProgressListener.NONE);
		out().println("wrote " + built.outputDir());
		Dataset dataset = DatasetReader.read(datasetDir);
		err().println(dataset.size() + " captioned images, e.g. \"" + dataset.items().get(0).caption() + "\"");
		phases.add(phase("dataset", t));

		t = System.nanoTime();
		err().println("== 3. Base model");
		Path base = model;
		String description;
		if (tiny) {
			base = out.resolve("tiny-model");
			TinyModel.write(base, 1);
			description = "tiny random-weight SD1-architecture model in " + base + " (made by the demo)";
			if (resolution == null) resolution = nativeSize(base, null);
			checkSize(base, null, resolution);
		}
		else description = base.toAbsolutePath().toString();
		err().println(description + "; training and previews at " + resolution + " px");
		err().println(DatasetCheck.format(DatasetCheck.check(dataset, DatasetCheck.Method.parse("lora"), TOKEN,
			resolution)));
		phases.add(phase("model", t));

		int n = steps != null ? steps : tiny ? TINY_STEPS : REAL_STEPS;
		int sample = sampleSteps != null ? sampleSteps : tiny ? 20 : GenerationRequest.DEFAULT_STEPS;
		List<RunSummary> runs = new ArrayList<>();
		String[] labels = {"textual inversion", "LoRA"};
		TrainConfig.Method[] methods = {TrainConfig.Method.TEXTUAL_INVERSION, TrainConfig.Method.LORA};
		for (int i = 0; i < methods.length; i++) {
			t = System.nanoTime();
			err().println("== " + (4 + i) + ". Train a " + labels[i] + " (" + n + " steps)");
			TrainConfig c = config(methods[i], base, datasetDir, n, sample);
			Path runDir = out.resolve(methods[i] == TrainConfig.Method.LORA ? "lora" : "ti");
			TrainingConsole console = TrainingConsole.of(out(), err());
			TrainingResult r;
			long values;
			try (Trainer trainer = open(c, runDir, console)) {
				values = trainer.trainables().elementCount();
				r = trainer.run();
			}
			if (r.status() != TrainingResult.Status.FINISHED) {
				err().println("the demo stops here: the " + labels[i] + " run did not finish");
				return r.status() == TrainingResult.Status.CANCELLED ? ExitCodes.INTERRUPTED : ExitCodes.FAILED;
			}
			double seconds = (System.nanoTime() - t) / 1e9;
			runs.add(RunSummary.read(c, r, values, seconds));
			phases.add(new DemoPage.Phase(methods[i] == TrainConfig.Method.LORA ? "LoRA" : "textual inversion", seconds));
		}

		t = System.nanoTime();
		err().println("== 6. Before/after previews (" + prompts.size() + " prompts x 2 seeds)");
		Path embedding = result(runs.get(0)), lora = result(runs.get(1));
		GenerationRequest request = new GenerationRequest(base, tokenizer, prompts.get(0), "", sample,
			GenerationRequest.DEFAULT_GUIDANCE, GenerationRequest.DEFAULT_SAMPLER, seed, resolution, resolution, 2, 1,
			null, null, null);
		List<BeforeAfter.Variant> variants = List.of(
			new BeforeAfter.Variant("ti", "with the embedding " + embedding.getFileName(), List.of(),
				List.of(new GenerationRequest.EmbeddingRef(embedding, TOKEN))),
			new BeforeAfter.Variant("lora", "with the LoRA " + lora.getFileName(),
				List.of(new GenerationRequest.LoraRef(lora, 1.0)), List.of()));
		Path previewDir = out.resolve("previews");
		BeforeAfter.Result previews = BeforeAfter.generate(request, prompts, variants, previewDir, Engines.device(),
			new ConsoleProgress(err()), msg -> err().println("note: " + msg));
		for (BeforeAfter.Panel p : previews.panels()) {
			out().println("wrote " + p.montage() + " (" + p.variant().label() + ")");
			if (p != previews.panels().get(0)) err().println(String.format(Locale.ROOT, "%s: mean |after - before| %.2f " +
				"grey levels, max %d", p.variant().label(), p.meanAbsDifference(), p.maxAbsDifference()));
		}
		phases.add(phase("previews", t));

		String command = "diffusej " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
		DemoPage.Report report = new DemoPage.Report("DiffuseJ demo: textual inversion and LoRA on " +
			example.getFileName(), command, description, tiny, engine.oneLine(), datasetDir, dataset, previews, runs,
			phases);
		Path page = DemoPage.write(report, out.resolve("index.html"));
		out().println("report: " + page);
		out().println("open it in a browser: " + page.toUri());
		return ExitCodes.OK;
	}

	/** The config of one demo run: the method's defaults, sized for a short run. */
	TrainConfig config(TrainConfig.Method method, Path base, Path datasetDir, int n, int sample) {
		Map<String, String> o = new LinkedHashMap<>();
		o.put("model", base.toAbsolutePath().toString());
		if (tokenizer != null) o.put("tokenizer", tokenizer.toAbsolutePath().toString());
		o.put("dataset", datasetDir.toAbsolutePath().toString());
		o.put("steps", Integer.toString(n));
		o.put("seed", Long.toString(seed));
		o.put("data.resolution", Integer.toString(resolution));
		o.put("captions.mode", "dataset");
		o.put("validation.prompts", new com.google.gson.Gson().toJson(List.of(prompts.get(0).replace(TOKEN, "{token}"))));
		o.put("validation.seeds", "[" + seed + "," + (seed + 1) + "]");
		o.put("validation.every_steps", Integer.toString(Math.max(1, n / 5)));
		o.put("validation.steps", Integer.toString(sample));
		o.put("validation.sampler", GenerationRequest.DEFAULT_SAMPLER);
		o.put("checkpoints.every_steps", "0");
		o.put("checkpoints.keep", "1");
		if (method == TrainConfig.Method.TEXTUAL_INVERSION) {
			o.put("textual_inversion.token", TOKEN);
			o.put("textual_inversion.initializer", "cell");
		}
		else {
			int rank = tiny ? 4 : 8;
			o.put("lora.rank", Integer.toString(rank));
			o.put("lora.alpha", Integer.toString(rank));
			o.put("captions.trigger", TOKEN);
			// A short run on random weights needs a bolder step than the 1e-4 meant for a real model's 1000s of steps.
			if (tiny) o.put("optimizer.learning_rate", "1e-3");
		}
		try {
			return TrainConfig.defaults(method).with(o);
		}
		catch (TrainingException e) {
			throw CliException.usage(e.getMessage());
		}
	}

	/** The run's main result file ({@code <name>.safetensors}), which the run has just written. */
	private static Path result(RunSummary s) throws IOException {
		Path p = s.runDir().resolve(s.config().resultName() + ".safetensors");
		if (!s.result().outputs().contains(p) || !Files.isRegularFile(p)) throw new IOException(p + ": the run finished "
			+ "but did not write its result file (it wrote " + s.result().outputs() + ")");
		return p;
	}

	private static Trainer open(TrainConfig c, Path runDir, TrainingConsole console) throws IOException {
		try {
			return Trainer.open(c, runDir, false, Engines.device(), console);
		}
		catch (TrainingException e) {
			throw CliException.badInput(e.getMessage());
		}
	}

	/** The model's native image side ({@code sample_size} x the VAE factor), from its configs alone. */
	static int nativeSize(Path model, Path tokenizer) throws IOException {
		try (ModelFiles files = ModelLoader.open(model, LoadOptions.defaults().withTokenizerDir(tokenizer))) {
			UNet2DConditionConfig unet = Configs.parse(files.unet().config(), UNet2DConditionConfig.class,
				files.unet().configOrigin());
			AutoencoderKLConfig vae = Configs.parse(files.vae().config(), AutoencoderKLConfig.class,
				files.vae().configOrigin());
			return GenerationLimits.nativeSize(unet, vae);
		}
		catch (IllegalArgumentException e) {
			throw CliException.badInput("--model " + model + ": " + e.getMessage());
		}
	}

	/** A size the model can make, checked from its configs before anything loads. */
	static void checkSize(Path model, Path tokenizer, int side) throws IOException {
		try {
			Grid.checkSizeBeforeLoading(new GenerationRequest(model, tokenizer, "", "", 1, 1, null, 0, side, side, 1, 1,
				null, null, null));
		}
		catch (IllegalArgumentException e) {
			throw CliException.usage("--resolution: " + e.getMessage());
		}
	}

	private static DemoPage.Phase phase(String name, long start) {
		return new DemoPage.Phase(name, (System.nanoTime() - start) / 1e9);
	}

	private static void deleteTree(Path p) throws IOException {
		if (!Files.exists(p)) return;
		try (Stream<Path> s = Files.walk(p)) {
			for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
				try {
					Files.delete(q);
				}
				catch (NoSuchFileException ignored) {
					// already gone
				}
			}
		}
	}
}
