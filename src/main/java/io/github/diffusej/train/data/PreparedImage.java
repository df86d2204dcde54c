package io.github.diffusej.train.data;

import java.nio.file.Path;

/**
 * One training example's pixels, ready for the VAE.
 *
 * @param image the image file
 * @param placement how it was resized, cropped and flipped
 * @param pixels [3, H, W] (channel-major RGB, rows top to bottom), {@code v / 127.5 - 1} in [-1, 1] as diffusers'
 *     {@code Normalize([0.5], [0.5])} after {@code ToTensor}
 * @param mask [H, W] in [0, 1] (1 = train, 0 = ignore) under the identical resize, crop and flip; null when the item
 *     has no mask
 */
public record PreparedImage(Path image, Placement placement, float[] pixels, float[] mask) {

	public PreparedImage {
		int n = placement.bucket().width() * placement.bucket().height();
		if (pixels.length != 3 * n) throw new IllegalArgumentException("pixels hold " + pixels.length + " values, not 3 x " + n);
		if (mask != null && mask.length != n) throw new IllegalArgumentException("mask holds " + mask.length + " values, not " + n);
	}

	public int width() {
		return placement.bucket().width();
	}

	public int height() {
		return placement.bucket().height();
	}

	public boolean hasMask() {
		return mask != null;
	}

	/** The mask on the latent grid (area average over {@code factor x factor} blocks), or null without a mask. */
	public float[] latentMask(int factor) {
		return mask == null ? null : Masks.toLatentGrid(mask, width(), height(), factor);
	}
}
