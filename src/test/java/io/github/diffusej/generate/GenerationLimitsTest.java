package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.PredictionType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation refuses what cannot work before it starts (huge sizes, wrapping seeds, an output folder that is a
 * file) and stops with the likely source instead of writing a black PNG (NaN weights or LoRA); images default to
 * the model's native size, carry their prediction type, and a rerun never overwrites earlier PNGs.
 */
class GenerationLimitsTest {

	@TempDir
	static Path tmp;

	static Path tiny;

	@BeforeAll
	static void model() throws IOException {
		tiny = TinyModel.write(tmp.resolve("tiny"), 11);
	}

	@AfterAll
	static void clearProperty() {
		System.clearProperty("diffusej.memory");
	}

	static GenerationRequest request(Path model, int side, int count) {
		return new GenerationRequest(model, null, "a cell", "", 2, 5.0, "DDIM", 3, side, side, count, 1, null, null,
			null);
	}

	static final TextToImage.Listener QUIET = TextToImage.Listener.of(ProgressListener.NONE);

	@Test
	void hugeSizesAreRefusedWithWhatFitsBeforeLoading() throws IOException {
		System.setProperty("diffusej.memory", "2g");
		try {
			GenerationRequest wide = request(tiny, 0, 1).withSize(100_000, 32);
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grid.generate(wide,
				Grid.Kind.NONE, List.of(), null, Device.cpu(), QUIET, m -> {}));
			String m = e.getMessage();
			assertTrue(m.startsWith("100000x32 needs about "), m);
			assertTrue(m.contains("but this machine has about 2.0 GB; the largest square size that fits is about "), m);
			GenerationRequest square = request(tiny, 0, 1).withSize(100_000, 100_000);
			m = assertThrows(IllegalArgumentException.class, () -> Grid.checkBeforeLoading(square, Device.cpu()))
				.getMessage();
			assertFalse(m.matches(".*(about|has) -\\d.*"), "no overflowed (negative) sizes: " + m);
			assertTrue(m.contains("needs about more than 9 EB"), "saturated, not wrapped: " + m);
			int fits = Integer.parseInt(m.replaceAll(".*fits is about (\\d+)x.*", "$1"));
			assertTrue(fits >= 32 && fits % 16 == 0, m);
			// what the message says fits does fit
			Grid.checkBeforeLoading(request(tiny, fits, 1), Device.cpu());
		}
		finally {
			System.clearProperty("diffusej.memory");
		}
		assertThrows(IllegalArgumentException.class, () -> request(tiny, 2_000_000, 1));
	}

	@Test
	void countIsBoundedByTheHeap() {
		long heap = Runtime.getRuntime().maxMemory();
		int side = 2048;
		int count = (int) Math.min(GenerationRequest.MAX_COUNT, heap / ((long) side * side * 8) + 2);
		GenerationRequest r = request(tiny, side, count);
		System.setProperty("diffusej.memory", "1000t");
		try {
			String m = assertThrows(IllegalArgumentException.class, () -> Grid.checkBeforeLoading(r, Device.cpu()))
				.getMessage();
			assertTrue(m.contains(count + " images of 2048x2048 need about") && m.contains("Java heap"), m);
		}
		finally {
			System.clearProperty("diffusej.memory");
		}
	}

	@Test
	void seedsDoNotWrapAndOnlyMinusOneIsRandom() {
		String m = assertThrows(IllegalArgumentException.class, () -> new GenerationRequest(tiny, null, "a", "", 2, 5, null,
			Long.MAX_VALUE, 32, 32, 2, 1, null, null, null)).getMessage();
		assertTrue(m.contains("would pass the largest seed"), m);
		new GenerationRequest(tiny, null, "a", "", 2, 5, null, Long.MAX_VALUE - 1, 32, 32, 2, 1, null, null, null);
		assertTrue(assertThrows(IllegalArgumentException.class, () -> RequestStrings.seed(-2)).getMessage()
			.contains("-1 for a random seed"));
		assertThrows(IllegalArgumentException.class, () -> request(tiny, 32, 1).withSize(32, 32).single(0)
			.withPrompt("x").withLoras(List.of()).withPredictionType(null).withSize(7, 32));
		long r = RequestStrings.seed(-1);
		assertTrue(r >= 0 && r < 1L << 32);
	}

	@Test
	void anOutputFolderThatIsAFileIsRefused() throws IOException {
		Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
		String m = assertThrows(IllegalArgumentException.class, () -> ResultStack.checkOutputFolder(file)).getMessage();
		assertEquals(file.toAbsolutePath() + ": exists and is a file, not a folder; choose a folder for the images", m);
		Path fresh = tmp.resolve("new/out");
		ResultStack.checkOutputFolder(fresh);
		assertTrue(Files.isDirectory(fresh));
	}

	@Test
	void nativeSizePredictionTypeAndNoOverwrite() throws IOException {
		try (StableDiffusionModel model = StableDiffusionModel.load(tiny, LoadOptions.defaults(), Device.cpu(),
			DataType.FLOAT32, m -> {}))
		{
			List<GeneratedImage> a = TextToImage.generate(model, request(tiny, 0, 1), QUIET);
			assertEquals(32, a.get(0).width(), "sample_size 16 x VAE factor 2");
			assertEquals("epsilon", a.get(0).settings().get("prediction_type"));
			List<GeneratedImage> v = TextToImage.generate(model, request(tiny, 0, 1)
				.withPredictionType(PredictionType.V_PREDICTION), QUIET);
			assertEquals("v_prediction", v.get(0).settings().get("prediction_type"));
			assertTrue(v.get(0).parameters().contains("Prediction: v_prediction"), v.get(0).parameters());
			assertFalse(Arrays.equals(a.get(0).rgb(), v.get(0).rgb()), "the override changes what is sampled");
			Path out = tmp.resolve("rerun");
			Path first = ResultStack.savePng(a.get(0), out, "image", 0);
			byte[] before = Files.readAllBytes(first);
			Path second = ResultStack.savePng(v.get(0), out, "image", 0);
			assertEquals("image-0000-3.png", first.getFileName().toString());
			assertEquals("image-0000-3-2.png", second.getFileName().toString());
			assertTrue(Arrays.equals(before, Files.readAllBytes(first)), "the earlier image is untouched");
			assertEquals("v_prediction", PngWithText.readText(second).get("diffusej:prediction_type"));
		}
	}

	/** The tiny model with one tensor of one component set to NaN. */
	static Path withNaN(String name, String component, String tensor) throws IOException {
		Path dir = tmp.resolve(name);
		try (Stream<Path> w = Files.walk(tiny)) {
			for (Path p : w.toList()) {
				Path q = dir.resolve(tiny.relativize(p).toString());
				if (Files.isDirectory(p)) Files.createDirectories(q);
				else Files.copy(p, q);
			}
		}
		Path file;
		try (Stream<Path> l = Files.list(dir.resolve(component))) {
			file = l.filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
		}
		SafetensorsWriter out = new SafetensorsWriter();
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			for (String n : f.names()) {
				ByteBuffer b = ByteBuffer.allocate((int) f.info(n).byteLength()).order(ByteOrder.LITTLE_ENDIAN);
				b.put(f.raw(n)).flip();
				if (n.equals(tensor)) b.putFloat(0, Float.NaN);
				out.put(n, f.info(n).dtype(), f.info(n).shape(), b);
			}
		}
		out.write(file);
		return dir;
	}

	static String failure(Path model, GenerationRequest r) throws IOException {
		try (StableDiffusionModel m = StableDiffusionModel.load(model, LoadOptions.defaults(), Device.cpu(),
			DataType.FLOAT32, x -> {}))
		{
			TextToImage.prepare(m, r);
			return assertThrows(NonFinite.ResultException.class, () -> TextToImage.generate(m, r, QUIET)).getMessage();
		}
	}

	@Test
	void nanWeightsStopGenerationNamingTheirSource() throws IOException {
		Path unet = withNaN("nan-unet", "unet", "conv_in.weight");
		String m = failure(unet, request(unet, 32, 1));
		assertTrue(m.contains("latents of image seed 3 became NaN/Inf at denoising step 1 of 2") && m.contains(
			"the UNet weights (" + unet.resolve("unet")) && m.contains("'conv_in.weight'"), m);
		Path vae = withNaN("nan-vae", "vae", "decoder.conv_in.weight");
		m = failure(vae, request(vae, 32, 1));
		assertTrue(m.contains("decoding image seed 3 produced NaN/Inf pixels") && m.contains("the VAE weights (")
			&& m.contains("'decoder.conv_in.weight'"), m);
		Path te = withNaN("nan-te", "text_encoder", "text_model.final_layer_norm.weight");
		m = failure(te, request(te, 32, 1));
		assertTrue(m.contains("encoding the prompt produced NaN/Inf") && m.contains("the text encoder weights (")
			&& m.contains("final_layer_norm.weight"), m);
	}

	@Test
	void aLoraThatBlowsUpIsNamed() throws IOException {
		Path lora = tmp.resolve("blowup.safetensors");
		io.github.diffusej.testutil.TestLora.write(lora);
		GenerationRequest r = request(tiny, 32, 1).withLoras(List.of(new GenerationRequest.LoraRef(lora, 1e30)));
		String m = failure(tiny, r);
		assertTrue(m.contains("became NaN/Inf at denoising step 1 of 2; likely source: the LoRA " + lora
			+ " at weight 1.0E30: lower the LoRA weight"), m);
	}
}
