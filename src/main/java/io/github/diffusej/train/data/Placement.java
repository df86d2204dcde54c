package io.github.diffusej.train.data;

import io.github.diffusej.Rng;

/**
 * How one image becomes one bucket-sized training example: scaled, preserving its aspect ratio, to the smallest size
 * that covers the bucket ({@code resizedWidth x resizedHeight}, one side equal to the bucket's, the other rounded to
 * the nearest pixel as kohya's {@code select_bucket} does), a bucket-sized window cut at ({@code cropLeft},
 * {@code cropTop}) of the resized image, then mirrored left-right when {@code flip}.
 *
 * <p>Chosen from the image size alone, before any pixel is decoded, so that a trainer can look up cached latents
 * ({@link LatentKey}) first. Crop offsets are in the coordinates of the resized, unflipped image; with the original
 * size they are what SDXL's size-and-crop conditioning needs.
 *
 * @param original the stored image size
 * @param bucket the target size
 * @param resizedWidth width after scaling (>= bucket width)
 * @param resizedHeight height after scaling (>= bucket height)
 * @param cropLeft left edge of the window in the resized image
 * @param cropTop top edge of the window in the resized image
 * @param flip mirror horizontally after cropping
 */
public record Placement(ImageSize original, Bucket bucket, int resizedWidth, int resizedHeight, int cropLeft,
	int cropTop, boolean flip)
{

	public Placement {
		if (resizedWidth < bucket.width() || resizedHeight < bucket.height()) throw new IllegalArgumentException(
			"resized size " + resizedWidth + "x" + resizedHeight + " does not cover bucket " + bucket);
		if (cropLeft < 0 || cropTop < 0 || cropLeft + bucket.width() > resizedWidth || cropTop + bucket.height() > resizedHeight) {
			throw new IllegalArgumentException("crop " + cropLeft + "," + cropTop + " of " + bucket + " lies outside the resized "
				+ resizedWidth + "x" + resizedHeight);
		}
	}

	/**
	 * The placement of an image in a bucket. Random draws, in this order: the crop offset when {@code crop} is
	 * {@link CropMode#RANDOM} and the image overhangs the bucket, then the flip (probability 1/2, as diffusers'
	 * {@code RandomHorizontalFlip} and kohya's {@code flip_aug}) when {@code randomFlip}. Nothing is drawn otherwise,
	 * so {@code rng} may be null for a centre crop without flips (validation).
	 */
	public static Placement choose(ImageSize original, Bucket bucket, CropMode crop, boolean randomFlip, Rng rng) {
		int[] r = coverSize(original, bucket);
		int spareX = r[0] - bucket.width();
		int spareY = r[1] - bucket.height();
		int left;
		int top;
		if (crop == CropMode.RANDOM) {
			left = spareX > 0 ? rng.nextInt(spareX + 1) : 0;
			top = spareY > 0 ? rng.nextInt(spareY + 1) : 0;
		}
		else {
			left = spareX / 2;
			top = spareY / 2;
		}
		boolean flip = randomFlip && rng.nextBoolean(0.5);
		return new Placement(original, bucket, r[0], r[1], left, top, flip);
	}

	/** A centred placement, flipped or not as asked (no randomness). */
	public static Placement centred(ImageSize original, Bucket bucket, boolean flip) {
		int[] r = coverSize(original, bucket);
		return new Placement(original, bucket, r[0], r[1], (r[0] - bucket.width()) / 2, (r[1] - bucket.height()) / 2, flip);
	}

	/**
	 * The smallest aspect-preserving size covering the bucket: the side whose ratio is tighter matches the bucket
	 * exactly, the other is {@code round(side * scale)} (half up), computed in integers.
	 */
	static int[] coverSize(ImageSize s, Bucket b) {
		long w = s.width();
		long h = s.height();
		long p = w * b.height();
		long q = h * b.width();
		if (p > q) { // wider than the bucket: match heights
			return new int[] {Math.toIntExact((2 * w * b.height() + h) / (2 * h)), b.height()};
		}
		if (p < q) { // taller: match widths
			return new int[] {b.width(), Math.toIntExact((2 * h * b.width() + w) / (2 * w))};
		}
		return new int[] {b.width(), b.height()};
	}

	/** Horizontal scale from the stored image to the resized one. */
	public double scaleX() {
		return (double) resizedWidth / original.width();
	}

	public double scaleY() {
		return (double) resizedHeight / original.height();
	}
}
