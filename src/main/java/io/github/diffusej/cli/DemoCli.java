package io.github.diffusej.cli;

import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetCheck;
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
import java.util.Set;

/**
 * {@code diffusej demo}: the main job on the bundled example, end to end and offline. It builds a captioned
 * dataset from {@code examples/cells.tif} (16-bit stack -> 8-bit tiles with captions and provenance), checks it,
 * makes (or takes) a model, and generates a seed x prompt grid of preview images with their settings kept.
 */
final class DemoCli {

	static final String USAGE = """
		usage: diffusej demo [--out DIR] [--example FILE] [--model DIR|FILE] [--steps N]
		  --out DIR       where everything goes (demo-out)
		  --example FILE  the image stack to learn from (examples/cells.tif)
		  --model PATH    a Stable Diffusion model (default: a tiny random-weight model made in DIR/tiny-model;
		                  its previews are noise until a concept is trained: it proves the machinery)
		  --steps N       denoising steps of the previews (12)
		""";

	private DemoCli() {}

	static int run(String[] argv) throws Exception {
		if (argv.length > 0 && argv[0].equals("--help")) {
			System.out.print(USAGE);
			return 0;
		}
		Args a = new Args("demo", argv, Set.of("out", "example", "model", "steps"), Set.of());
		Path out = a.path("out", Path.of("demo-out"));
		Path example = a.path("example", Path.of("examples/cells.tif"));
		if (!Files.isRegularFile(example)) throw new IllegalArgumentException(example + " not found: run the demo " +
			"from the project folder or pass --example");
		Files.createDirectories(out);
		System.out.println("== 1. Engine");
		Engines.start(EngineOptions.fromEnvironment(), System.out::println);

		System.out.println("== 2. Captioned dataset from " + example);
		Path dataset = out.resolve("dataset");
		if (Files.exists(dataset.resolve("dataset.json"))) System.out.println("reusing " + dataset);
		else {
			int rc = DatasetCli.run(new String[] {"build", "--out", dataset.toString(), "--sizing", "tile", "--resolution", "64",
				"--tile-overlap", "0", "--token", "<my-cell>", "--caption-template",
				"a fluorescent micrograph of {token} nuclei, slice {z}", "--validation-fraction", "0.1", "--licence", "CC0-1.0",
				"--source", "synthetic stack made by examples/MakeExampleStack.java", "--quiet", example.toString()});
			if (rc != 0) return rc;
		}
		Dataset ds = DatasetReader.read(dataset);
		System.out.println(ds.size() + " captioned images, e.g. \"" + ds.items().get(0).caption() + "\"");
		System.out.println(DatasetCheck.format(DatasetCheck.check(ds, DatasetCheck.Method.parse("ti"), "<my-cell>", 64)));

		System.out.println("== 3. Model");
		Path model = a.path("model", null);
		if (model == null) {
			model = out.resolve("tiny-model");
			if (!Files.exists(model.resolve("model_index.json"))) TinyModel.write(model, 1);
			System.out.println("tiny random-weight SD1-architecture model in " + model + " (32x32 images)");
		}

		System.out.println("== 4. Preview grid (2 seeds x 2 prompts)");
		List<String> prompts = List.of("a fluorescent micrograph of nuclei", "a fluorescent micrograph of nuclei, slice 4");
		Grid grid;
		try (StableDiffusionModel m = StableDiffusionModel.load(model, LoadOptions.defaults(), Engines.device(),
			StableDiffusionModel.defaultDtype(Engines.device()), msg -> System.out.println("note: " + msg)))
		{
			Integer sample = m.unet().config().sampleSize();
			int side = (sample == null ? 64 : sample) * m.vaeScale(); // the model's native resolution, as diffusers uses
			GenerationRequest r = new GenerationRequest(model, null, prompts.get(0), "blurry, low quality",
				a.integer("steps", 12), 7.5, "DPM++ 2M Karras", 1, side, side, 2, 1, null, null, null);
			grid = Grid.seedsByPrompts(m, r, prompts, new ConsoleProgress(System.out));
		}
		Path previews = out.resolve("previews");
		for (Path p : ResultStack.savePngs(grid.images(), previews, "preview")) System.out.println("wrote " + p);
		System.out.println("wrote " + ResultStack.saveMontagePng(grid, previews.resolve("montage.png")));
		System.out.println("== Done. Dataset: " + dataset + "  previews: " + previews);
		return 0;
	}
}
