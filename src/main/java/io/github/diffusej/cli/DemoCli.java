package io.github.diffusej.cli;

import io.github.diffusej.data.BuildReport;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetCheck;
import io.github.diffusej.data.DatasetOptions;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.model.loader.LoadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusej demo}: the main job on the bundled example, end to end and offline. It builds a captioned
 * dataset from {@code examples/cells.tif} (16-bit stack -> 8-bit tiles with captions and provenance), checks it,
 * makes (or takes) a model, and generates a seed x prompt grid of preview images with their settings kept.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
	description = "The main job on the bundled example: dataset, model, preview grid (offline).",
	footer = {"", ExitCodes.HELP})
final class DemoCli extends Subcommand {

	@Option(names = "--out", paramLabel = "DIR", defaultValue = "demo-out", description = "where everything goes (${DEFAULT-VALUE})")
	Path out;

	@Option(names = "--example", paramLabel = "FILE", defaultValue = "examples/cells.tif",
		description = "the image stack to learn from (${DEFAULT-VALUE})")
	Path example;

	@Option(names = "--model", paramLabel = "DIR|FILE", description = "a Stable Diffusion model (default: a tiny " +
		"random-weight model made in DIR/tiny-model; its previews are noise: it proves the machinery)")
	Path model;

	@Option(names = "--steps", paramLabel = "N", defaultValue = "12", description = "denoising steps of the previews (${DEFAULT-VALUE})")
	int steps;

	@Override
	void validate() {
		if (!Files.isRegularFile(example)) throw CliException.usage("--example " + example + " not found: run the demo " +
			"from the project folder or pass --example");
		existing("--model", model);
		inRange("--steps", steps, 1, 1000);
		outputFolder("--out", out);
	}

	@Override
	int execute() throws Exception {
		err().println("== 1. Engine");
		Engines.start(EngineOptions.fromEnvironment(), err()::println);

		err().println("== 2. Captioned dataset from " + example);
		Path dataset = out.resolve("dataset");
		if (Files.exists(dataset.resolve("dataset.json"))) err().println("reusing " + dataset);
		else {
			DatasetOptions o = new DatasetOptions();
			o.set("sizing", "tile");
			o.set("resolution", "64");
			o.set("tile_overlap", "0");
			o.set("token", "<my-cell>");
			o.set("caption_template", "a fluorescent micrograph of {token} nuclei, slice {z}");
			o.set("validation_fraction", "0.1");
			o.set("licence", "CC0-1.0");
			o.set("source", "synthetic stack made by examples/MakeExampleStack.java");
			BuildReport r = DatasetCli.build(o, List.of(example), dataset, false, null, io.github.diffusej.ProgressListener.NONE);
			out().println("wrote " + r.outputDir());
		}
		Dataset ds = DatasetReader.read(dataset);
		err().println(ds.size() + " captioned images, e.g. \"" + ds.items().get(0).caption() + "\"");
		err().println(DatasetCheck.format(DatasetCheck.check(ds, DatasetCheck.Method.parse("ti"), "<my-cell>", 64)));

		err().println("== 3. Model");
		Path m0 = model;
		if (m0 == null) {
			m0 = out.resolve("tiny-model");
			if (!Files.exists(m0.resolve("model_index.json"))) TinyModel.write(m0, 1);
			err().println("tiny random-weight SD1-architecture model in " + m0 + " (32x32 images)");
		}

		err().println("== 4. Preview grid (2 seeds x 2 prompts)");
		List<String> prompts = List.of("a fluorescent micrograph of nuclei", "a fluorescent micrograph of nuclei, slice 4");
		Grid grid;
		try (StableDiffusionModel m = StableDiffusionModel.load(m0, LoadOptions.defaults(), Engines.device(),
			StableDiffusionModel.defaultDtype(Engines.device()), msg -> err().println("note: " + msg)))
		{
			Integer sample = m.unet().config().sampleSize();
			int side = (sample == null ? 64 : sample) * m.vaeScale(); // the model's native resolution, as diffusers uses
			GenerationRequest r = new GenerationRequest(m0, null, prompts.get(0), "blurry, low quality", steps, 7.5,
				"DPM++ 2M Karras", 1, side, side, 2, 1, null, null, null);
			grid = Grid.seedsByPrompts(m, r, prompts, new ConsoleProgress(err()));
		}
		Path previews = out.resolve("previews");
		for (Path p : ResultStack.savePngs(grid.images(), previews, "preview")) out().println("wrote " + p);
		out().println("wrote " + ResultStack.saveMontagePng(grid, previews.resolve("montage.png")));
		out().println("Done. Dataset: " + dataset + "  previews: " + previews);
		return ExitCodes.OK;
	}
}
