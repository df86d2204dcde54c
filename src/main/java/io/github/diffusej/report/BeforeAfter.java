package io.github.diffusej.report;

import ai.djl.Device;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.StableDiffusionModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Before/after previews: the same prompts and seeds rendered by the base model and by the base model with each
 * trained result (an embedding, a LoRA), so that every difference between two cells comes from what was trained.
 * The model is loaded once; each variant is one seeds x prompts {@link Grid} with its own embeddings and LoRAs,
 * which are taken off the model again before the next variant (so a later variant never sees an earlier one's
 * token). Every cell is saved as a PNG with its settings as soon as it is made, and each variant's grid as a
 * labelled montage.
 */
public final class BeforeAfter {

	/**
	 * One column group of the comparison.
	 *
	 * @param name file-name prefix of its PNGs ({@code base}, {@code ti}, {@code lora})
	 * @param label what it is, for headings ("base model", "with the embedding my-cell.safetensors")
	 */
	public record Variant(String name, String label, List<GenerationRequest.LoraRef> loras,
		List<GenerationRequest.EmbeddingRef> embeddings)
	{

		public Variant {
			loras = loras == null ? List.of() : List.copyOf(loras);
			embeddings = embeddings == null ? List.of() : List.copyOf(embeddings);
			if (!name.matches("[A-Za-z0-9_-]+")) throw new IllegalArgumentException("variant name '" + name
				+ "' must be a plain file-name prefix");
		}

		/** The base model alone. */
		public static Variant base() {
			return new Variant("base", "base model", List.of(), List.of());
		}
	}

	/**
	 * The images of one variant.
	 *
	 * @param cells PNG files, row-major: row = seed, column = prompt
	 * @param montage the labelled grid image
	 * @param meanAbsDifference mean |this - base| over every pixel and channel of every cell, in 8-bit levels
	 *        (0 for the base itself)
	 * @param maxAbsDifference the largest such difference of one channel value
	 */
	public record Panel(Variant variant, List<Path> cells, Path montage, double meanAbsDifference, int maxAbsDifference) {

		public Panel {
			cells = List.copyOf(cells);
		}
	}

	/**
	 * All panels, the base first.
	 *
	 * @param request the base request as run (size and prediction type resolved; its prompt is the first prompt)
	 */
	public record Result(GenerationRequest request, List<String> prompts, List<Long> seeds, List<Panel> panels) {

		public Result {
			prompts = List.copyOf(prompts);
			seeds = List.copyOf(seeds);
			panels = List.copyOf(panels);
		}

		/** The cell of {@code panel} for seed row {@code row} and prompt column {@code column}. */
		public Path cell(int panel, int row, int column) {
			return panels.get(panel).cells().get(row * prompts.size() + column);
		}
	}

	private BeforeAfter() {}

	/**
	 * Renders the base model and each variant into {@code dir}.
	 *
	 * @param request model, sampler, steps, guidance, size, first seed and {@code count} seeds; its prompt, LoRAs
	 *        and embeddings are replaced by {@code prompts} and each variant's
	 * @param prompts the columns of every grid
	 * @param variants what to compare with the base model (the base is added first)
	 */
	public static Result generate(GenerationRequest request, List<String> prompts, List<Variant> variants, Path dir,
		Device device, TextToImage.Listener listener, Consumer<String> log) throws IOException
	{
		if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to compare");
		List<Variant> all = new ArrayList<>();
		all.add(Variant.base());
		all.addAll(variants);
		for (int i = 0; i < all.size(); i++)
			for (int j = 0; j < i; j++)
				if (all.get(i).name().equals(all.get(j).name())) throw new IllegalArgumentException("two variants named "
					+ all.get(i).name());
		ResultStack.checkOutputFolder(dir);
		GenerationRequest base = variant(request.withPrompt(prompts.get(0)), all.get(0));
		listener.progress(0, -1, "Loading " + base.model());
		List<Panel> panels = new ArrayList<>();
		List<Long> seeds = new ArrayList<>();
		for (int r = 0; r < base.count(); r++) seeds.add(base.seed() + r);
		try (StableDiffusionModel model = TextToImage.load(base, device, log)) {
			base = TextToImage.resolve(model, base);
			List<GeneratedImage> baseImages = null;
			for (int v = 0; v < all.size(); v++) {
				Variant variant = all.get(v);
				GenerationRequest r = variant(base, variant);
				List<Path> files = new ArrayList<>();
				for (int k = 0; k < base.count() * prompts.size(); k++) files.add(null);
				int index = v, count = all.size();
				TextToImage.Listener saving = new TextToImage.Listener() {

					@Override
					public void progress(int done, int total, String message) {
						listener.progress(index * total + done, count * total, capitalised(variant.label()) + ": " + message);
					}

					@Override
					public boolean isCancelled() {
						return listener.isCancelled();
					}

					@Override
					public void imageDone(int i, GeneratedImage image) {
						try {
							files.set(i, ResultStack.savePng(image, dir, variant.name(), i));
						}
						catch (IOException e) {
							throw new UncheckedIOException(e);
						}
						listener.imageDone(i, image);
					}
				};
				Grid grid;
				Set<String> tokensBefore = new HashSet<>(model.extraTokens());
				try {
					grid = Grid.seedsByPrompts(model, r, prompts, saving);
				}
				catch (UncheckedIOException e) {
					throw e.getCause();
				}
				finally {
					LoraWeights.remove(model);
					for (String t : model.extraTokens()) if (!tokensBefore.contains(t)) model.removeToken(t);
				}
				Path montage = ResultStack.saveMontagePng(grid, dir.resolve(variant.name() + "-grid.png"));
				double mean = 0;
				int max = 0;
				if (baseImages == null) baseImages = grid.images();
				else {
					long sum = 0, n = 0;
					for (int c = 0; c < grid.images().size(); c++) {
						int[] a = grid.images().get(c).rgb(), b = baseImages.get(c).rgb();
						for (int p = 0; p < a.length; p++)
							for (int shift = 0; shift <= 16; shift += 8) {
								int d = Math.abs((a[p] >> shift & 0xff) - (b[p] >> shift & 0xff));
								sum += d;
								max = Math.max(max, d);
								n++;
							}
					}
					mean = (double) sum / n;
				}
				panels.add(new Panel(variant, files, montage, mean, max));
			}
		}
		return new Result(base, prompts, seeds, panels);
	}

	private static GenerationRequest variant(GenerationRequest r, Variant v) {
		return new GenerationRequest(r.model(), r.tokenizer(), r.prompt(), r.negativePrompt(), r.steps(), r.guidance(),
			r.sampler(), r.seed(), r.width(), r.height(), r.count(), r.clipSkip(), r.longPrompts(), v.loras(),
			v.embeddings(), r.predictionType());
	}

	private static String capitalised(String s) {
		return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
	}
}
