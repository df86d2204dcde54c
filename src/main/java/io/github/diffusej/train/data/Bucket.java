package io.github.diffusej.train.data;

/**
 * One training resolution: every image of a batch is resized and cropped to its bucket's size. Sides are multiples
 * of the bucket step (VAE factor x UNet downsampling, 64 for Stable Diffusion).
 *
 * @param width pixels
 * @param height pixels
 */
public record Bucket(int width, int height) implements Comparable<Bucket> {

	public Bucket {
		if (width <= 0 || height <= 0) throw new IllegalArgumentException("bucket sides must be positive: " + width + "x" + height);
	}

	/** width / height */
	public double aspectRatio() {
		return (double) width / height;
	}

	public long area() {
		return (long) width * height;
	}

	/** The bucket with width and height exchanged. */
	public Bucket transposed() {
		return new Bucket(height, width);
	}

	/** Ordered by width, then height (kohya sorts its resolution list the same way). */
	@Override
	public int compareTo(Bucket o) {
		return width != o.width ? Integer.compare(width, o.width) : Integer.compare(height, o.height);
	}

	/** {@code WxH}, as kohya and OneTrainer print buckets. */
	@Override
	public String toString() {
		return width + "x" + height;
	}
}
