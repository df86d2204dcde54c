package io.github.diffusej.generate;

import ai.djl.Device;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Comparison grids: rows are seeds ({@code request.seed()}, {@code +1}, ... {@code request.count()} of them),
 * columns are prompts or the weights of one LoRA. The model is loaded once; each column is one
 * {@link TextToImage#generate(StableDiffusionModel, GenerationRequest, TextToImage.Listener)} call, so a cell
 * equals the image a single request with that seed, prompt and LoRA weight makes.
 *
 * @param images the cells in row-major order (row 0 = first seed, all columns; then row 1, ...)
 * @param rowLabels one per row ("seed 42")
 * @param columnLabels one per column (the whole prompt, or "name @ 0.5")
 */
public record Grid(List<GeneratedImage> images, List<String> rowLabels, List<String> columnLabels) {

	/** What the columns of a grid vary; {@link #label()} is the text of the Fiji choice list. */
	public enum Kind {
		NONE("none"),
		SEEDS_X_PROMPTS("seeds x prompts"),
		SEEDS_X_LORA_WEIGHTS("seeds x lora weights");

		private final String label;

		Kind(String label) {
			this.label = label;
		}

		public String label() {
			return label;
		}

		/** The kind with this label or enum name (case-insensitive, '_' and ' ' alike). */
		public static Kind fromLabel(String s) {
			String norm = s == null ? "none" : s.trim().replace('_', ' ').toLowerCase(Locale.ROOT);
			for (Kind k : values())
				if (k.label.equals(norm) || k.name().replace('_', ' ').toLowerCase(Locale.ROOT).equals(norm)) return k;
			throw new IllegalArgumentException("unknown grid '" + s + "'; choose one of " +
				Arrays.stream(values()).map(Kind::label).toList());
		}
	}

	public Grid {
		images = List.copyOf(images);
		rowLabels = List.copyOf(rowLabels);
		columnLabels = List.copyOf(columnLabels);
		if (images.size() != rowLabels.size() * columnLabels.size()) throw new IllegalArgumentException(
			images.size() + " images for a grid of " + rowLabels.size() + " x " + columnLabels.size());
	}

	public int rows() {
		return rowLabels.size();
	}

	public int columns() {
		return columnLabels.size();
	}

	/**
	 * Loads the request's model once and makes the grid ({@link Kind#NONE}: the request's images as one column).
	 *
	 * @param prompts the column prompts of {@link Kind#SEEDS_X_PROMPTS} (ignored otherwise)
	 * @param loraWeights the column weights of the request's first LoRA for {@link Kind#SEEDS_X_LORA_WEIGHTS}
	 */
	public static Grid generate(GenerationRequest request, Kind kind, List<String> prompts, double[] loraWeights,
		Device device, TextToImage.Listener listener, Consumer<String> log) throws IOException
	{
		if (kind != Kind.NONE) check(request, kind, prompts, loraWeights);
		request = checkBeforeLoading(request, device);
		listener.progress(0, -1, "Loading " + request.model());
		try (StableDiffusionModel model = TextToImage.load(request, device, log)) {
			return switch (kind) {
				case SEEDS_X_PROMPTS -> seedsByPrompts(model, request, prompts, listener);
				case SEEDS_X_LORA_WEIGHTS -> seedsByLoraWeights(model, request, loraWeights, listener);
				case NONE -> single(model, request, listener);
			};
		}
	}

	/** No grid: the request's images as one column (rows = seeds), with its embeddings and LoRAs applied. */
	public static Grid single(StableDiffusionModel model, GenerationRequest request, TextToImage.Listener listener)
		throws IOException
	{
		TextToImage.prepare(model, request);
		return run(model, request, List.of(request), List.of(request.prompt()), null, null, listener);
	}

	/** Seeds x prompts with a loaded model; the request's embeddings and LoRAs are applied first. */
	public static Grid seedsByPrompts(StableDiffusionModel model, GenerationRequest request, List<String> prompts,
		TextToImage.Listener listener) throws IOException
	{
		check(request, Kind.SEEDS_X_PROMPTS, prompts, null);
		TextToImage.prepare(model, request);
		List<GenerationRequest> columns = prompts.stream().map(request::withPrompt).toList();
		return run(model, request, columns, prompts, null, null, listener);
	}

	/**
	 * Seeds x weights of the request's first LoRA (its own weight is replaced by each column's; other LoRAs keep
	 * theirs) with a loaded model. The files are applied once; each column re-weights the swept file's adapters
	 * by name. The model keeps the last column's LoRA weights applied.
	 */
	public static Grid seedsByLoraWeights(StableDiffusionModel model, GenerationRequest request, double[] weights,
		TextToImage.Listener listener) throws IOException
	{
		check(request, Kind.SEEDS_X_LORA_WEIGHTS, null, weights);
		GenerationRequest.LoraRef swept = request.loras().get(0);
		String name = GenerationRequest.stem(swept.file());
		List<GenerationRequest> columns = new ArrayList<>();
		List<String> labels = new ArrayList<>();
		for (double w : weights) {
			List<GenerationRequest.LoraRef> refs = new ArrayList<>(request.loras());
			refs.set(0, new GenerationRequest.LoraRef(swept.file(), w));
			columns.add(request.withLoras(refs));
			labels.add(name + " @ " + GenerationRequest.fmt(w));
		}
		TextToImage.prepare(model, columns.get(0));
		return run(model, request, columns, labels, labels,
			c -> LoraWeights.setWeight(model, 0, swept.file(), weights[c]), listener);
	}

	/**
	 * One generate call per column; cells are relabelled with the column when {@code cellSuffixes} is given, and
	 * {@code beforeColumn} (if any) prepares the model for each column.
	 */
	private static Grid run(StableDiffusionModel model, GenerationRequest request, List<GenerationRequest> columns,
		List<String> columnLabels, List<String> cellSuffixes, IntConsumer beforeColumn, TextToImage.Listener listener)
	{
		int rows = request.count(), cols = columns.size();
		GeneratedImage[] cells = new GeneratedImage[rows * cols];
		for (int c = 0; c < cols; c++) {
			GenerationRequest column = columns.get(c);
			if (beforeColumn != null) beforeColumn.accept(c);
			int col = c;
			TextToImage.Listener inColumn = new TextToImage.Listener() {

				@Override
				public void progress(int done, int total, String message) {
					listener.progress(col * total + done, cols * total, cols == 1 ? message : "Column " + (col + 1) +
						"/" + cols + " (" + shorten(columnLabels.get(col)) + "), " + message);
				}

				@Override
				public boolean isCancelled() {
					return listener.isCancelled();
				}

				@Override
				public void imageDone(int row, GeneratedImage image) {
					GeneratedImage g = cellSuffixes == null ? image : new GeneratedImage(image.width(), image.height(),
						image.rgb(), image.seed(), image.label() + " [" + cellSuffixes.get(col) + "]", image.parameters(),
						image.settings());
					cells[row * cols + col] = g;
					listener.imageDone(row * cols + col, g);
				}
			};
			TextToImage.generate(model, column, inColumn);
		}
		List<String> rowLabels = new ArrayList<>();
		for (int r = 0; r < rows; r++) rowLabels.add("seed " + (request.seed() + r));
		return new Grid(Arrays.asList(cells), rowLabels, columnLabels);
	}

	private static void check(GenerationRequest request, Kind kind, List<String> prompts, double[] weights) {
		int cols;
		if (kind == Kind.SEEDS_X_PROMPTS) {
			if (prompts == null || prompts.isEmpty()) throw new IllegalArgumentException(
				"a seeds x prompts grid needs prompts: separate them with '|' in the prompt");
			cols = prompts.size();
		}
		else if (kind == Kind.SEEDS_X_LORA_WEIGHTS) {
			if (request.loras().isEmpty()) throw new IllegalArgumentException(
				"a seeds x lora weights grid needs a LoRA: name it in the LoRAs (its weights are the grid's columns)");
			if (weights == null || weights.length == 0) throw new IllegalArgumentException(
				"a seeds x lora weights grid needs LoRA weights, e.g. 0,0.5,1");
			for (double w : weights) if (!Double.isFinite(w)) throw new IllegalArgumentException(
				"LoRA weight " + w + " is not a finite number");
			cols = weights.length;
		}
		else throw new IllegalArgumentException("no grid asked for");
		if ((long) cols * request.count() > 10_000) throw new IllegalArgumentException(
			"a grid of " + request.count() + " x " + cols + " images is too large (at most 10000)");
	}

	/**
	 * Fails fast, from the model's configs alone, on a folder that is no model or a size its VAE cannot make,
	 * instead of after loading gigabytes of weights ({@link TextToImage#generate} checks the same after loading).
	 */
	public static void checkSizeBeforeLoading(GenerationRequest r) throws IOException {
		checkBeforeLoading(r, null);
	}

	/**
	 * Like {@link #checkSizeBeforeLoading}, and with a {@code device} also whether the request fits in memory
	 * there (weights included, sizes from the weight headers); returns the request with a size of 0 replaced by
	 * the model's native size.
	 */
	static GenerationRequest checkBeforeLoading(GenerationRequest r, Device device) throws IOException {
		try (ModelFiles files = ModelLoader.open(r.model(), LoadOptions.defaults().withTokenizerDir(r.tokenizer()))) {
			UNet2DConditionConfig unet = Configs.parse(files.unet().config(), UNet2DConditionConfig.class,
				files.unet().configOrigin());
			AutoencoderKLConfig vae = Configs.parse(files.vae().config(), AutoencoderKLConfig.class,
				files.vae().configOrigin());
			int side = GenerationLimits.nativeSize(unet, vae);
			GenerationRequest sized = r.withSize(r.width() == 0 ? side : r.width(), r.height() == 0 ? side : r.height());
			int scale = GenerationLimits.vaeFactor(vae);
			int multiple = 8 * scale;
			if (sized.width() % multiple != 0 || sized.height() % multiple != 0) throw new IllegalArgumentException(
				"width and height must be multiples of " + multiple + " (8 x the VAE factor " + scale +
					") for this model, not " + sized.width() + "x" + sized.height());
			if (device == null) return sized;
			int bytes = StableDiffusionModel.defaultDtype(device).getNumOfBytes();
			long weights = 0;
			for (var c : files.components().values())
				for (String k : c.weights().keys()) {
					long n = 1;
					for (long d : c.weights().shape(k)) n = GenerationLimits.mul(n, d);
					weights = GenerationLimits.add(weights, GenerationLimits.mul(n, bytes));
				}
			GenerationLimits.check(sized, unet, vae, weights, false, bytes, device);
			return sized;
		}
	}

	static String shorten(String prompt) {
		return prompt.length() > 40 ? prompt.substring(0, 37) + "..." : prompt;
	}
}
