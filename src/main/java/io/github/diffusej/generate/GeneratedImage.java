package io.github.diffusej.generate;

import java.awt.image.BufferedImage;
import java.util.Map;

/**
 * One generated RGB image with what made it.
 *
 * @param rgb packed 0xRRGGBB pixels, row-major
 * @param label a short slice label (seed and prompt)
 * @param parameters A1111-style settings text
 * @param settings every setting, one entry each
 */
public record GeneratedImage(int width, int height, int[] rgb, long seed, String label, String parameters,
	Map<String, String> settings)
{

	/**
	 * Converts a decoded image [3, H, W] in the VAE's [-1, 1] range as diffusers does:
	 * {@code clamp(x / 2 + 0.5, 0, 1)}, then {@code round(255 x)}.
	 */
	public static int[] toRgb(float[] chw, int width, int height) {
		int plane = width * height;
		if (chw.length != 3 * plane) throw new IllegalArgumentException("expected 3x" + height + "x" + width + " values");
		int[] rgb = new int[plane];
		for (int i = 0; i < plane; i++) {
			int r = to8bit(chw[i]), g = to8bit(chw[plane + i]), b = to8bit(chw[2 * plane + i]);
			rgb[i] = (r << 16) | (g << 8) | b;
		}
		return rgb;
	}

	static int to8bit(float v) {
		float x = v / 2f + 0.5f;
		if (!(x > 0f)) x = 0f; // NaN -> 0
		if (x > 1f) x = 1f;
		return Math.round(x * 255f);
	}

	public BufferedImage toBufferedImage() {
		BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		img.setRGB(0, 0, width, height, rgb, 0, width);
		return img;
	}
}
