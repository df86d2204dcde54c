package io.github.diffusej.fiji;

import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.generate.ResultStack;
import ij.ImagePlus;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * Plugins > DiffuseJ > Generate Images: text-to-image with a Stable Diffusion 1.x/2.x model, optionally with
 * LoRAs and textual-inversion embeddings, as an RGB stack (one slice per seed; labels "seed N: prompt"; every
 * setting in Image > Show Info), or as a comparison grid (seeds x prompts, seeds x weights of the first LoRA)
 * with a labelled montage. With an output folder each image is saved as a PNG, with its settings in text chunks,
 * as soon as it is finished. Cancel (or Esc) stops between denoising steps.
 *
 * <p>Macro: {@code run("Generate Images", "model=/models/sd15 prompt=[a cell] steps=25 seed=42 ...")}.
 */
@Plugin(type = Command.class, headless = true,
	description = "text to image with an SD 1.x/2.x model, LoRAs and embeddings; seed grids; PNGs with settings",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Generate Images", weight = DiffuseJMenu.GENERATE)})
public class GenerateImagesCommand extends ContextCommand {

	/** The grid choices; see {@link Grid.Kind#label()}. */
	static final String NO_GRID = "none", PROMPT_GRID = "seeds x prompts", LORA_GRID = "seeds x lora weights";

	@Parameter
	private LogService log;

	@Parameter
	private StatusService status;

	@Parameter(label = "Model", style = FileWidget.FILE_AND_DIRECTORY_STYLE,
		description = "A diffusers folder (or its model_index.json) or a single .safetensors checkpoint")
	private File model;

	@Parameter(label = "Tokenizer folder (single files)", style = FileWidget.DIRECTORY_STYLE, required = false,
		persist = false, description = "For a single-file checkpoint without a tokenizer beside it: a folder with vocab.json and merges.txt")
	private File tokenizer_dir;

	@Parameter(label = "Prompt", description = "What to draw; for a 'seeds x prompts' grid, prompts separated by |")
	private String prompt;

	/** Not {@code negative_prompt}: ImageJ's Macro.getValue would find {@code prompt=} inside it. */
	@Parameter(label = "Negative prompt", required = false)
	private String negative = "";

	@Parameter(label = "Steps", min = "1", max = "1000")
	private int steps = GenerationRequest.DEFAULT_STEPS;

	@Parameter(label = "Guidance scale", min = "0", stepSize = "0.5")
	private double guidance_scale = GenerationRequest.DEFAULT_GUIDANCE;

	/** {@link io.github.diffusej.schedule.SamplerKind#labels()} (a test checks they agree). */
	@Parameter(label = "Sampler", choices = {"DDIM", "Euler", "Euler a", "DPM++ 2M", "DPM++ 2M Karras", "PLMS"})
	private String sampler = GenerationRequest.DEFAULT_SAMPLER;

	@Parameter(label = "Seed (-1 = random)", description = "Image i uses seed + i; the seed used is in the slice labels")
	private long seed = -1;

	@Parameter(label = "Width (0 = model's size)", min = "0", stepSize = "8",
		description = "A multiple of 8 x the VAE factor (64 for SD); 0 = the model's native size (512 for SD 1.5, 768 for SD 2.1 768-v)")
	private int width = 0;

	@Parameter(label = "Height (0 = model's size)", min = "0", stepSize = "8")
	private int height = 0;

	/** The model's own (scheduler config, file metadata, family default), or an explicit choice. */
	static final String AUTO_PREDICTION = "auto (from the model)";

	@Parameter(label = "Prediction type", choices = {AUTO_PREDICTION, "epsilon", "v_prediction"},
		description = "What the UNet predicts. SD 2.x single files are assumed to be 768-v (v_prediction); choose epsilon for SD 2.x 512-base")
	private String prediction_type = AUTO_PREDICTION;

	@Parameter(label = "Number of images (seeds)", min = "1", description = "In a grid: the number of rows")
	private int number_of_images = 1;

	@Parameter(label = "CLIP skip", min = "1", max = "12", description = "1 = last CLIP layer, 2 = penultimate")
	private int clip_skip = 1;

	@Parameter(label = "Long prompts", choices = {"chunk", "truncate"},
		description = "Prompts over 75 tokens: encode in 75-token chunks, or cut (as diffusers does)")
	private String long_prompts = "chunk";

	@Parameter(label = "LoRAs", required = false,
		description = "path:weight;path2:weight (weight optional, default 1), e.g. /loras/cells.safetensors:0.8")
	private String loras = "";

	@Parameter(label = "Embeddings", required = false,
		description = "path[:token];... textual inversions; the token defaults to the file's own (or its name)")
	private String embeddings = "";

	@Parameter(label = "Grid", choices = {NO_GRID, PROMPT_GRID, LORA_GRID})
	private String grid = NO_GRID;

	@Parameter(label = "LoRA weights (grid columns)", required = false,
		description = "For 'seeds x lora weights': weights of the first LoRA, e.g. 0,0.5,1")
	private String lora_weights = "0,0.5,1";

	@Parameter(label = "Output folder (optional)", style = FileWidget.DIRECTORY_STYLE, required = false,
		persist = false, description = "Each finished image is saved there as a PNG with its settings in text chunks")
	private File output_dir;

	@Parameter(type = ItemIO.OUTPUT)
	private ImagePlus result;

	@Parameter(type = ItemIO.OUTPUT, required = false)
	private ImagePlus montage;

	private int total;

	@Override
	public void run() {
		GenerationProgress progress = null;
		try {
			if (seed < -1) throw new IllegalArgumentException("seed must be -1 (random) or >= 0, not " + seed);
			if (seed > Long.MAX_VALUE - (number_of_images - 1)) throw new IllegalArgumentException("seed " + seed +
				" + " + number_of_images + " images would pass the largest seed");
			Grid.Kind kind = Grid.Kind.fromLabel(grid);
			List<String> prompts = kind == Grid.Kind.SEEDS_X_PROMPTS ? RequestStrings.prompts(prompt) : List.of(prompt);
			GenerationRequest request = new GenerationRequest(RequestStrings.model(model),
				RequestStrings.optional(tokenizer_dir), prompts.get(0), negative, steps,
				guidance_scale, sampler, RequestStrings.seed(seed), width, height, number_of_images, clip_skip,
				RequestStrings.longPrompts(long_prompts), RequestStrings.loras(loras), RequestStrings.embeddings(embeddings),
				RequestStrings.predictionType(prediction_type));
			ResultStack.checkOutputFolder(RequestStrings.optional(output_dir)); // before the model loads
			double[] weights = kind == Grid.Kind.SEEDS_X_LORA_WEIGHTS ? RequestStrings.weights(lora_weights) : null;
			total = number_of_images * (kind == Grid.Kind.SEEDS_X_PROMPTS ? prompts.size() :
				kind == Grid.Kind.SEEDS_X_LORA_WEIGHTS ? weights.length : 1);
			String title = (kind == Grid.Kind.NONE ? "Generated" : "Grid " + kind.label()) + " (seed " + request.seed() + ")";
			String prefix = freePrefix(RequestStrings.optional(output_dir),
				"diffusej-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
			progress = new GenerationProgress(this, status, RequestStrings.optional(output_dir), prefix, title,
				!GraphicsEnvironment.isHeadless());
			Engines.prepareThread();
			log.info("Generate Images: seed " + request.seed() + ", " + Engines.start().oneLine());
			Grid g = Grid.generate(request, kind, prompts, weights, Engines.device(), progress, log::info);
			result = progress.result(g.images());
			if (kind != Grid.Kind.NONE) montage = ResultStack.montage(g, title + " montage");
			if (!progress.saved().isEmpty()) log.info("Saved " + progress.saved().size() + " PNGs to " + output_dir);
		}
		catch (CancellationException e) {
			cancelled(progress);
		}
		catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
			if (Thread.currentThread().isInterrupted()) cancelled(progress); // e.g. a PNG write cut by the interrupt
			else stop(e.getMessage(), null);
		}
		catch (RuntimeException e) {
			stop("Generation failed: " + e, e);
		}
		catch (OutOfMemoryError e) {
			stop("Out of memory (" + e.getMessage() + "): give Fiji more in Edit > Options > Memory & Threads, or make " +
				"smaller or fewer images at a time", null);
		}
		finally {
			if (progress != null) progress.clear();
		}
	}

	/**
	 * The file name prefix of this run's PNGs: the time stamp, with "-2", "-3" ... when an earlier run in the same
	 * second left files with it, so that no earlier image is overwritten.
	 */
	static String freePrefix(java.nio.file.Path dir, String base) throws IOException {
		if (dir == null || !java.nio.file.Files.isDirectory(dir)) return base;
		for (int i = 1;; i++) {
			String p = i == 1 ? base : base + "-" + i;
			try (var s = java.nio.file.Files.list(dir)) {
				String own = java.util.regex.Pattern.quote(p) + "-\\d{4}-\\d+\\.png"; // what ResultStack.pngName gives
				if (s.noneMatch(f -> f.getFileName().toString().matches(own))) return p;
			}
		}
	}

	/**
	 * Stopped by Cancel, Esc or an interrupt: quietly (no dialog); the preview keeps the images made so far under a
	 * title that says so, and finished PNGs stay saved (each is complete).
	 */
	private void cancelled(GenerationProgress progress) {
		int made = progress == null ? 0 : progress.images();
		int n = progress == null ? 0 : progress.saved().size();
		if (progress != null) progress.cancelled(total);
		Stops.cancelled(this, log, status, "Generate Images", "cancelled after " + made + " of " + total + " images" +
			(n == 0 ? "" : "; " + n + " PNG" + (n == 1 ? " is" : "s are") + " saved in " + output_dir));
	}

	/** Stops with the reason (one dialog in Fiji); an unexpected exception also goes to the log with its trace. */
	private void stop(String reason, Throwable t) {
		Stops.failed(this, log, "Generate Images", reason);
		if (t != null) log.error("Generate Images: " + reason, t); // a bug: keep the trace for the report
	}
}
