package io.github.diffusej.train;

import io.github.diffusej.testutil.Golden;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/** Datasets and configs made in the tests (never stored binaries). */
final class TrainFixtures {

	private TrainFixtures() {}

	/**
	 * A caption folder ({@code x.png} + {@code x.txt}) of {@code n} textured RGB images, some of them wide
	 * ({@code wide} of them 48 x 32, the rest 32 x 32), captions mentioning "cell".
	 */
	static Path captionFolder(Path dir, int n, int wide) throws IOException {
		Files.createDirectories(dir);
		for (int i = 0; i < n; i++) {
			int w = i < wide ? 48 : 32, h = 32;
			BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
			Random r = new Random(i);
			double fx = 1 + r.nextInt(4), fy = 1 + r.nextInt(4), ph = r.nextDouble() * 6;
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++) {
					double v = 0.5 + 0.4 * Math.sin(fx * 6.28 * x / w + ph) * Math.cos(fy * 6.28 * y / h);
					int g = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
					int red = (int) Math.round(255 * Math.max(0, Math.min(1, v * 0.3 + 0.1 * r.nextDouble())));
					img.setRGB(x, y, (red << 16) | (g << 8) | (g / 3));
				}
			String name = String.format("img%02d", i);
			ImageIO.write(img, "png", dir.resolve(name + ".png").toFile());
			Files.writeString(dir.resolve(name + ".txt"), "a fluorescent micrograph of a cell, green stain, sample " + i,
				StandardCharsets.UTF_8);
		}
		return dir;
	}

	/** A textual-inversion config on tiny-sd1 (golden) over {@code dataset}: small, fast, no validation images. */
	static TrainConfig tinyTi(Path dataset, int steps) {
		return TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION).with(java.util.Map.of(
			"model", Golden.tinySd1Model().toString(),
			"dataset", dataset.toString(),
			"steps", Integer.toString(steps),
			"seed", "7",
			"validation.prompts", "[]",
			"checkpoints.every_steps", "0"));
	}

	static List<String> lines(Path file) throws IOException {
		return Files.readAllLines(file, StandardCharsets.UTF_8);
	}
}
