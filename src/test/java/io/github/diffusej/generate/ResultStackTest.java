package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.testutil.Golden;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultStackTest {

	@TempDir
	Path tmp;

	static GenerationRequest request() {
		return new GenerationRequest(Path.of("models/tiny"), null, "a photo of <my-cell>", "blurry", 10, 7.5, "DDIM",
			42, 32, 32, 3, 0, null, List.of(new GenerationRequest.LoraRef(Path.of("cells.safetensors"), 0.8)), List.of());
	}

	static List<GeneratedImage> images(GenerationRequest r) {
		List<GeneratedImage> out = new ArrayList<>();
		for (int i = 0; i < r.count(); i++) {
			float[] chw = SeededNoise.gaussian(r.seed() + i, 3 * 32 * 32);
			long seed = r.seed() + i;
			out.add(new GeneratedImage(32, 32, GeneratedImage.toRgb(chw, 32, 32), seed,
				ResultStack.label(seed, r.prompt()), r.parametersText(seed), r.settings(seed)));
		}
		return out;
	}

	/** golden pipeline.safetensors vae_decoded_raw -> pipeline_image.png, exactly as diffusers converts. */
	@Test
	void decodedImageConvertsLikeDiffusers() throws IOException {
		float[] raw;
		try (SafetensorsFile f = SafetensorsFile.open(Golden.vectors("pipeline.safetensors"))) {
			raw = f.floats("vae_decoded_raw");
		}
		int[] rgb = GeneratedImage.toRgb(raw, 32, 32);
		BufferedImage png = ImageIO.read(Golden.vectors("pipeline_image.png").toFile());
		int maxDiff = 0;
		for (int y = 0; y < 32; y++)
			for (int x = 0; x < 32; x++) {
				int a = rgb[y * 32 + x], b = png.getRGB(x, y) & 0xffffff;
				for (int s = 0; s < 24; s += 8) maxDiff = Math.max(maxDiff, Math.abs(((a >> s) & 255) - ((b >> s) & 255)));
			}
		assertTrue(maxDiff <= 1, "max channel difference " + maxDiff);
	}

	@Test
	void stackHasLabelsInfoAndMontage() {
		GenerationRequest r = request();
		ImagePlus imp = ResultStack.toImagePlus("gen", images(r));
		assertEquals(3, imp.getStackSize());
		assertEquals(ImagePlus.COLOR_RGB, imp.getType());
		assertEquals("seed 43: a photo of <my-cell>", imp.getStack().getSliceLabel(2));
		String info = (String) imp.getProperty("Info");
		assertTrue(info.contains("Seed: 44") && info.contains("CFG scale: 7.5") && info.contains("<lora:cells:0.8>"), info);
		Grid g = new Grid(images(r), List.of("seed 42", "seed 43", "seed 44"), List.of(r.prompt()));
		ImagePlus m = ResultStack.montage(g, "grid");
		assertEquals(ImagePlus.COLOR_RGB, m.getType());
		assertTrue(m.getWidth() > 128 && m.getHeight() > 3 * 128, "enlarged cells plus headers: " + m.getWidth() + "x" +
			m.getHeight());
		assertTrue(((String) m.getProperty("Info")).contains("Seed: 44"), "every cell's settings in the info");
	}

	@Test
	void pngsCarryTheirSettings() throws IOException {
		GenerationRequest r = request();
		List<GeneratedImage> imgs = images(r);
		List<Path> files = ResultStack.savePngs(imgs, tmp, "gen");
		assertEquals(3, files.size());
		var text = PngWithText.readText(files.get(1));
		assertEquals(r.parametersText(43), text.get("parameters"));
		assertEquals("43", text.get("diffusej:seed"));
		assertEquals("a photo of <my-cell>", text.get("diffusej:prompt"));
		BufferedImage back = ImageIO.read(files.get(1).toFile());
		assertEquals(imgs.get(1).rgb()[5], back.getRGB(5, 0) & 0xffffff);
	}

	@Test
	void seededNoiseIsReproducible() {
		float[] a = SeededNoise.gaussian(7, 1000), b = SeededNoise.gaussian(7, 1000), c = SeededNoise.gaussian(8, 1000);
		assertTrue(java.util.Arrays.equals(a, b));
		assertTrue(!java.util.Arrays.equals(a, c));
		double mean = 0, var = 0;
		for (float x : a) mean += x / 1000.0;
		for (float x : a) var += (x - mean) * (x - mean) / 1000.0;
		assertEquals(0, mean, 0.1);
		assertEquals(1, var, 0.15);
	}
}
