package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Grids on tiny-sd1 (32x32, 4 steps): cells equal single requests, one model load for the whole grid. */
class GridTest {

	static StableDiffusionModel model;

	@BeforeAll
	static void load() throws IOException {
		model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(), Device.cpu(), DataType.FLOAT32,
			msg -> {});
	}

	@AfterAll
	static void close() {
		if (model != null) model.close();
	}

	static GenerationRequest request(String prompt, long seed, int count) {
		return new GenerationRequest(Golden.tinySd1Model(), null, prompt, "", 4, 5.0, "DDIM", seed, 32, 32, count, 1,
			null, null, null);
	}

	static TextToImage.Listener quiet() {
		return TextToImage.Listener.of(ProgressListener.NONE);
	}

	@Test
	void seedsByPromptsIsRowMajorAndCellsEqualSingleRequests() throws IOException {
		List<Integer> order = new ArrayList<>();
		List<int[]> progress = new ArrayList<>();
		TextToImage.Listener l = new TextToImage.Listener() {

			@Override
			public void progress(int done, int total, String message) {
				progress.add(new int[] {done, total});
			}

			@Override
			public void imageDone(int index, GeneratedImage image) {
				order.add(index);
			}
		};
		// the same prompt twice: both columns must be pixel-identical
		Grid g = Grid.seedsByPrompts(model, request("x", 7, 2), List.of("a photo of a cat", "a photo of a cat"), l);
		assertEquals(2, g.rows());
		assertEquals(2, g.columns());
		assertEquals(List.of("seed 7", "seed 8"), g.rowLabels());
		assertEquals(List.of(0, 2, 1, 3), order, "column by column, reported at row-major indices");
		assertEquals(16, progress.get(progress.size() - 1)[0]);
		assertEquals(16, progress.get(progress.size() - 1)[1], "2 columns x 2 images x 4 steps");
		assertArrayEquals(g.images().get(0).rgb(), g.images().get(1).rgb(), "same seed + prompt: same pixels");
		assertArrayEquals(g.images().get(2).rgb(), g.images().get(3).rgb());
		assertFalse(Arrays.equals(g.images().get(0).rgb(), g.images().get(2).rgb()), "rows are different seeds");
		assertEquals(8, g.images().get(2).seed());

		Grid two = Grid.seedsByPrompts(model, request("x", 7, 2), List.of("a photo of a cat", "a red dog"), quiet());
		List<GeneratedImage> alone = TextToImage.generate(model, request("a red dog", 8, 1), quiet());
		assertArrayEquals(alone.get(0).rgb(), two.images().get(3).rgb(), "cell (seed 8, prompt 2) = that request alone");
		assertFalse(Arrays.equals(two.images().get(2).rgb(), two.images().get(3).rgb()), "prompts differ");
		assertEquals("seed 8: a red dog", two.images().get(3).label());
		assertEquals(List.of("a photo of a cat", "a red dog"), two.columnLabels());
	}

	@Test
	void seedsByLoraWeightsAppliesEachWeight() throws IOException {
		var lora = new GenerationRequest.LoraRef(Golden.vectors("lora_kohya.safetensors"), 1.0);
		GenerationRequest r = request("a photo of a cat", 3, 2).withLoras(List.of(lora));
		Grid g = Grid.seedsByLoraWeights(model, r, new double[] {0, 1}, quiet());
		assertEquals(4, g.images().size());
		assertEquals(List.of("lora_kohya @ 0", "lora_kohya @ 1"), g.columnLabels());
		LoraWeights.remove(model);
		List<GeneratedImage> plain = TextToImage.generate(model, request("a photo of a cat", 3, 2), quiet());
		assertArrayEquals(plain.get(0).rgb(), g.images().get(0).rgb(), "weight 0 = no LoRA");
		assertArrayEquals(plain.get(1).rgb(), g.images().get(2).rgb());
		assertFalse(Arrays.equals(g.images().get(0).rgb(), g.images().get(1).rgb()), "weight 1 changes the image");
		assertTrue(g.images().get(1).label().endsWith("[lora_kohya @ 1]"), g.images().get(1).label());
		assertTrue(g.images().get(1).parameters().contains("<lora:lora_kohya:1>"), g.images().get(1).parameters());
		assertTrue(g.images().get(0).parameters().contains("<lora:lora_kohya:0>"));
	}

	@Test
	void singleIsOneColumn() throws IOException {
		Grid g = Grid.single(model, request("a photo of a cat", 11, 2), quiet());
		assertEquals(2, g.rows());
		assertEquals(1, g.columns());
		List<GeneratedImage> direct = TextToImage.generate(model, request("a photo of a cat", 11, 2), quiet());
		assertArrayEquals(direct.get(1).rgb(), g.images().get(1).rgb());
	}

	@Test
	void loadsOnceThroughGenerate() throws IOException {
		List<String> messages = new ArrayList<>();
		TextToImage.Listener l = new TextToImage.Listener() {

			@Override
			public void progress(int done, int total, String message) {
				if (total < 0) messages.add(message);
			}
		};
		Grid g = Grid.generate(request("a", 1, 1), Grid.Kind.SEEDS_X_PROMPTS, List.of("a", "b", "c"), null, Device.cpu(),
			l, msg -> {});
		assertEquals(3, g.images().size());
		assertEquals(1, messages.size(), "one 'Loading' message: " + messages);
	}

	@Test
	void badGridsAreRefusedBeforeLoading() {
		GenerationRequest r = request("a", 1, 1).withLoras(List.of());
		var e = assertThrows(IllegalArgumentException.class, () -> Grid.generate(r, Grid.Kind.SEEDS_X_LORA_WEIGHTS, null,
			new double[] {0, 1}, Device.cpu(), quiet(), msg -> {}));
		assertTrue(e.getMessage().contains("needs a LoRA"), e.getMessage());
		var lora = List.of(new GenerationRequest.LoraRef(Golden.vectors("lora_kohya.safetensors"), 1.0));
		e = assertThrows(IllegalArgumentException.class, () -> Grid.generate(r.withLoras(lora),
			Grid.Kind.SEEDS_X_LORA_WEIGHTS, null, new double[] {0, Double.NaN}, Device.cpu(), quiet(), msg -> {}));
		assertTrue(e.getMessage().contains("not a finite number"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> Grid.generate(r, Grid.Kind.SEEDS_X_PROMPTS, List.of(),
			null, Device.cpu(), quiet(), msg -> {}));
		assertTrue(e.getMessage().contains("'|'"), e.getMessage());
	}

	@Test
	void wrongSizeIsRefusedBeforeLoading() {
		List<String> messages = new ArrayList<>();
		TextToImage.Listener l = new TextToImage.Listener() {

			@Override
			public void progress(int done, int total, String message) {
				messages.add(message);
			}
		};
		GenerationRequest r = new GenerationRequest(Golden.tinySd1Model(), null, "a", "", 4, 5.0, "DDIM", 1, 40, 32, 1, 1,
			null, null, null);
		var e = assertThrows(IllegalArgumentException.class, () -> Grid.generate(r, Grid.Kind.NONE, null, null,
			Device.cpu(), l, msg -> {}));
		assertEquals("width and height must be multiples of 16 (8 x the VAE factor 2) for this model, not 40x32",
			e.getMessage());
		assertTrue(messages.isEmpty(), "nothing loaded: " + messages);
	}

	@Test
	void kindsByLabel() {
		assertEquals(Grid.Kind.SEEDS_X_PROMPTS, Grid.Kind.fromLabel("seeds x prompts"));
		assertEquals(Grid.Kind.SEEDS_X_LORA_WEIGHTS, Grid.Kind.fromLabel("SEEDS_X_LORA_WEIGHTS"));
		assertEquals(Grid.Kind.NONE, Grid.Kind.fromLabel("none"));
		assertThrows(IllegalArgumentException.class, () -> Grid.Kind.fromLabel("rows"));
	}

	@Test
	void listenerCancelsBetweenSteps() {
		int[] steps = {0};
		List<GeneratedImage> done = new ArrayList<>();
		TextToImage.Listener l = new TextToImage.Listener() {

			@Override
			public void progress(int d, int total, String message) {
				steps[0] = d;
			}

			@Override
			public boolean isCancelled() {
				return steps[0] >= 6;
			}

			@Override
			public void imageDone(int index, GeneratedImage image) {
				done.add(image);
			}
		};
		assertThrows(CancellationException.class, () -> Grid.seedsByPrompts(model, request("a", 1, 3),
			List.of("a", "b"), l));
		assertEquals(1, done.size(), "image 1 (steps 1-4) finished, image 2 stopped before its end");
		assertEquals(6, steps[0]);
	}
}
