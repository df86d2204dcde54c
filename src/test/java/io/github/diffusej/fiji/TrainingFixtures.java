package io.github.diffusej.fiji;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small training datasets made in the Fiji tests (never stored binaries). */
final class TrainingFixtures {

	private TrainingFixtures() {}

	/**
	 * A caption folder ({@code x.png} + {@code x.txt}) of {@code n} textured 32 x 32 RGB images whose captions
	 * mention "cell" (the init word, and the word a LoRA's trigger may replace).
	 */
	static Path captionFolder(Path dir, int n) throws IOException {
		Files.createDirectories(dir);
		for (int i = 0; i < n; i++) {
			BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
			Random r = new Random(i);
			double fx = 1 + r.nextInt(4), fy = 1 + r.nextInt(4), ph = r.nextDouble() * 6;
			for (int y = 0; y < 32; y++)
				for (int x = 0; x < 32; x++) {
					double v = 0.5 + 0.4 * Math.sin(fx * 6.28 * x / 32 + ph) * Math.cos(fy * 6.28 * y / 32);
					int g = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
					img.setRGB(x, y, (g / 4 << 16) | (g << 8) | (g / 3));
				}
			String name = String.format("img%02d", i);
			ImageIO.write(img, "png", dir.resolve(name + ".png").toFile());
			Files.writeString(dir.resolve(name + ".txt"), "a fluorescent micrograph of a cell, green stain, sample " + i,
				StandardCharsets.UTF_8);
		}
		return dir;
	}
}
