package io.github.diffusej.cli;

import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.schedule.SamplerKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code diffusej generate}: text-to-image into PNGs that carry their settings, each saved as soon as it is done
 * (a job killed after 2 of 6 images keeps the 2), optionally as a labelled comparison grid. Every option and path
 * is checked before the model loads.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Generate images from a prompt into PNGs (settings kept in each PNG).",
	footer = {"", "Example: diffusej generate --model sd15 --prompt 'a micrograph of <my-cell>' --embedding cell.safetensors " +
		"--count 4 --seed 42 --out out/", "", ExitCodes.HELP})
final class GenerateCli extends Subcommand {

	@Option(names = "--model", required = true, paramLabel = "DIR|FILE",
		description = "a diffusers folder (or its model_index.json) or a single .safetensors checkpoint")
	Path model;

	@Option(names = "--prompt", required = true, paramLabel = "TEXT",
		description = "what to draw; for --grid seeds-x-prompts, prompts separated by '|'")
	String prompt;

	@Option(names = "--negative", paramLabel = "TEXT", defaultValue = "", description = "negative prompt")
	String negative;

	@Option(names = "--steps", paramLabel = "N", defaultValue = "" + GenerationRequest.DEFAULT_STEPS,
		description = "denoising steps (${DEFAULT-VALUE})")
	int steps;

	@Option(names = "--guidance", paramLabel = "S", defaultValue = "" + GenerationRequest.DEFAULT_GUIDANCE,
		description = "classifier-free guidance scale (${DEFAULT-VALUE}; <= 1 turns guidance off)")
	double guidance;

	@Option(names = "--sampler", paramLabel = "NAME", defaultValue = GenerationRequest.DEFAULT_SAMPLER, converter = SamplerName.class,
		description = "DDIM, Euler, 'Euler a', 'DPM++ 2M', 'DPM++ 2M Karras' or PLMS (${DEFAULT-VALUE})")
	String sampler;

	@Option(names = "--seed", paramLabel = "N", defaultValue = "-1",
		description = "seed of the first image; image i uses seed + i (-1: random)")
	long seed;

	@Option(names = "--width", paramLabel = "PX", defaultValue = "0",
		description = "a multiple of 8 x the VAE factor; 0 (the default) = the model's native size (512 for SD 1.5, " +
			"768 for SD 2.1 768-v, 32 for tiny models)")
	int width;

	@Option(names = "--height", paramLabel = "PX", defaultValue = "0", description = "as --width (0 = native)")
	int height;

	@Option(names = "--prediction-type", paramLabel = "TYPE", converter = PredictionTypeName.class,
		description = "epsilon or v_prediction: what the UNet predicts (default: the model's own; set it for SD 2.x " +
			"single files, which are assumed to be 768-v models)")
	PredictionType predictionType;

	@Option(names = "--count", paramLabel = "N", defaultValue = "1",
		description = "number of images, or rows (seeds) of a grid (${DEFAULT-VALUE})")
	int count;

	@Option(names = "--clip-skip", paramLabel = "N", defaultValue = "1",
		description = "1 = last CLIP layer, 2 = penultimate (${DEFAULT-VALUE})")
	int clipSkip;

	@Option(names = "--long-prompts", paramLabel = "MODE", defaultValue = "chunk", converter = LongPromptsMode.class,
		description = "chunk (75-token windows, as A1111) or truncate (as diffusers) (${DEFAULT-VALUE})")
	PromptChunks.LongPrompts longPrompts;

	@Option(names = "--lora", paramLabel = "FILE[:WEIGHT]",
		description = "a LoRA/DoRA file (kohya or diffusers/PEFT) and its weight (1); repeatable or ';'-separated")
	List<String> loras = new ArrayList<>();

	@Option(names = "--embedding", paramLabel = "FILE[:TOKEN]",
		description = "a textual-inversion file, optionally with its trigger token; repeatable")
	List<String> embeddings = new ArrayList<>();

	@Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer folder for single-file checkpoints")
	Path tokenizer;

	@Option(names = "--grid", paramLabel = "KIND", defaultValue = "none", converter = GridKind.class,
		description = "none, seeds-x-prompts (columns = the '|'-separated prompts) or seeds-x-lora-weights " +
			"(columns = the first --lora at each of --lora-weights); rows are --count seeds; grid.png is labelled")
	Grid.Kind grid;

	@Option(names = "--lora-weights", paramLabel = "W,W,...", defaultValue = "0,0.5,1",
		description = "the columns of a seeds-x-lora-weights grid (${DEFAULT-VALUE})")
	String loraWeights;

	@Option(names = "--out", paramLabel = "DIR", defaultValue = "generated",
		description = "where the PNGs go (${DEFAULT-VALUE}); created if needed")
	Path out;

	@Option(names = "--name", paramLabel = "PREFIX", defaultValue = "image",
		description = "file names PREFIX-<index>-<seed>.png (${DEFAULT-VALUE})")
	String name;

	@Option(names = "--overwrite", description = "replace images of an earlier run with the same names")
	boolean overwrite;

	@Mixin
	SweepOptions sweep;

	private GenerationRequest request;
	private List<String> prompts = List.of();
	private double[] weights;

	@Override
	void validate() throws IOException {
		existing("--model", model);
		existingFolder("--tokenizer", tokenizer);
		inRange("--steps", steps, 1, 1000);
		inRange("--count", count, 1, 10_000);
		inRange("--clip-skip", clipSkip, 1, 12);
		if (!Double.isFinite(guidance) || guidance < 0) throw CliException.usage("--guidance must be a number >= 0, not " +
			guidance);
		if (seed < -1) throw CliException.usage("--seed must be -1 (random) or >= 0, not " + seed);
		if (seed > Long.MAX_VALUE - (count - 1)) throw CliException.usage("--seed " + seed + " + --count " + count +
			" would pass the largest seed " + Long.MAX_VALUE);
		if (name.isBlank() || name.contains("/") || name.contains("\\")) throw CliException.usage("--name must be a " +
			"plain file name prefix, not '" + name + "'");
		List<GenerationRequest.LoraRef> loraRefs = new ArrayList<>();
		for (String spec : loras) loraRefs.addAll(refs("--lora", () -> RequestStrings.loras(spec)));
		List<GenerationRequest.EmbeddingRef> embRefs = new ArrayList<>();
		for (String spec : embeddings) embRefs.addAll(refs("--embedding", () -> RequestStrings.embeddings(spec)));
		for (GenerationRequest.LoraRef l : loraRefs) safetensors("--lora", l.file());
		for (GenerationRequest.EmbeddingRef e : embRefs) safetensors("--embedding", e.file());
		if (grid == Grid.Kind.SEEDS_X_PROMPTS) prompts = refs("--prompt", () -> RequestStrings.prompts(prompt));
		if (grid == Grid.Kind.SEEDS_X_LORA_WEIGHTS) {
			if (loraRefs.isEmpty()) throw CliException.usage("--grid seeds-x-lora-weights needs a --lora (its weights " +
				"are the columns)");
			weights = refs("--lora-weights", () -> RequestStrings.weights(loraWeights));
		}
		String firstPrompt = prompts.isEmpty() ? prompt : prompts.get(0);
		try {
			request = new GenerationRequest(model, tokenizer, firstPrompt, negative, steps, guidance, sampler,
				RequestStrings.seed(seed), width, height, count, clipSkip, longPrompts, loraRefs, embRefs, predictionType);
		}
		catch (IllegalArgumentException e) {
			throw CliException.usage(e.getMessage());
		}
		outputFolder("--out", out);
		int columns = grid == Grid.Kind.SEEDS_X_PROMPTS ? prompts.size() : grid == Grid.Kind.SEEDS_X_LORA_WEIGHTS ?
			weights.length : 1;
		if (!overwrite) {
			for (int row = 0; row < count; row++)
				for (int col = 0; col < columns; col++) {
					Path p = out.resolve(ResultStack.pngName(name, row * columns + col, request.seed() + row));
					if (Files.exists(p)) throw CliException.usage(p + " exists (an earlier run?): choose another --out " +
						"or --name, or add --overwrite");
				}
			if (grid != Grid.Kind.NONE && Files.exists(out.resolve(name + "-grid.png"))) throw CliException.usage(
				out.resolve(name + "-grid.png") + " exists: choose another --out or --name, or add --overwrite");
		}
		// The model's configs (not its weights): a folder that is no model, or a size its VAE cannot make, fails here.
		try {
			Grid.checkSizeBeforeLoading(request);
		}
		catch (IllegalArgumentException e) {
			throw CliException.usage("--width/--height: " + e.getMessage());
		}
	}

	@Override
	int execute() throws IOException {
		Engines.start(EngineOptions.fromEnvironment(), err()::println);
		err().println("seed " + request.seed() + (count > 1 ? " to " + (request.seed() + count - 1) : ""));
		ConsoleProgress progress = new ConsoleProgress(err()) {

			@Override
			public void imageDone(int index, GeneratedImage image) {
				try {
					out().println("wrote " + ResultStack.savePng(image, out, name, index, overwrite));
				}
				catch (IOException e) {
					throw new UncheckedIOException(e);
				}
			}
		};
		Grid g = Grid.generate(request, grid, prompts, weights, Engines.device(), progress,
			msg -> err().println("note: " + msg));
		if (grid != Grid.Kind.NONE) {
			if (overwrite) Files.deleteIfExists(out.resolve(name + "-grid.png"));
			Path m = ResultStack.saveMontagePng(g, out.resolve(name + "-grid.png"));
			out().println("wrote " + m + " (rows: " + String.join(", ", g.rowLabels()) + "; columns: " +
				String.join(", ", g.columnLabels()) + ")");
		}
		return ExitCodes.OK;
	}

	/** A reference file must be safetensors: pickles can run code and are never read. */
	static void safetensors(String option, Path p) {
		String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
		if (!n.endsWith(".safetensors")) throw CliException.usage(option + " " + p + ": only .safetensors files are " +
			"read (.ckpt/.pt/.bin pickles can run code; convert them first)");
	}

	/** Runs a parser of {@link RequestStrings}; its message (naming the entry) becomes a usage error. */
	static <T> T refs(String option, java.util.function.Supplier<T> parse) {
		try {
			return parse.get();
		}
		catch (IllegalArgumentException e) {
			throw CliException.usage(option + ": " + e.getMessage());
		}
	}

	/** A sampler label or enum name, with the list of valid ones on a typo. */
	static final class SamplerName implements ITypeConverter<String> {

		@Override
		public String convert(String value) {
			try {
				return SamplerKind.fromLabel(value.trim()).label();
			}
			catch (IllegalArgumentException e) {
				throw new TypeConversionException("unknown sampler '" + value + "'; choose one of " +
					String.join(", ", SamplerKind.labels()));
			}
		}
	}

	/** {@code epsilon} or {@code v_prediction} (also {@code v}). */
	static final class PredictionTypeName implements ITypeConverter<PredictionType> {

		@Override
		public PredictionType convert(String value) {
			try {
				return RequestStrings.predictionType(value);
			}
			catch (IllegalArgumentException e) {
				throw new TypeConversionException(e.getMessage());
			}
		}
	}

	/** {@code chunk} or {@code truncate}. */
	static final class LongPromptsMode implements ITypeConverter<PromptChunks.LongPrompts> {

		@Override
		public PromptChunks.LongPrompts convert(String value) {
			try {
				return RequestStrings.longPrompts(value);
			}
			catch (IllegalArgumentException e) {
				throw new TypeConversionException("'" + value + "' is not chunk or truncate");
			}
		}
	}

	/** {@code none}, {@code seeds-x-prompts} or {@code seeds-x-lora-weights}. */
	static final class GridKind implements ITypeConverter<Grid.Kind> {

		@Override
		public Grid.Kind convert(String value) {
			try {
				return Grid.Kind.fromLabel(value.replace('-', ' '));
			}
			catch (IllegalArgumentException e) {
				throw new TypeConversionException("'" + value + "' is not none, seeds-x-prompts or seeds-x-lora-weights");
			}
		}
	}
}
