package io.github.diffusej.train.data;

import io.github.diffusej.Rng;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * Loads a dataset item's image (and mask) and turns it into one training example under a {@link Placement}:
 * decoded to RGB ({@link RgbSource}: grey expanded, 16-bit scaled to 8 bits, alpha composited on black), scaled to
 * cover the bucket ({@link Resampler}: area averaging when shrinking, bilinear when enlarging), cropped, flipped,
 * normalised to [-1, 1].
 *
 * <p>The mask (greyscale, 255 = train, 0 = ignore; its first channel when it has colour, as kohya's masked loss reads
 * the red channel) may have any size: it is scaled from its own size to the image's resized size (so a mask of
 * another aspect ratio is stretched onto the image), then cropped and flipped exactly as the image, giving [0, 1].
 */
public final class ImagePreparer {

	private ImagePreparer() {}

	/** Placement (from the decoded size) and pixels in one call; see {@link Placement#choose} for the draws. */
	public static PreparedImage prepare(DatasetItem item, Bucket bucket, CropMode crop, boolean randomFlip, Rng rng)
		throws DatasetException
	{
		BufferedImage img = ImageFiles.decode(item.image());
		Placement p = Placement.choose(new ImageSize(img.getWidth(), img.getHeight()), bucket, crop, randomFlip, rng);
		return new PreparedImage(item.image(), p, pixels(img, item.image(), p), item.hasMask() ? mask(item.mask(), p) : null);
	}

	/**
	 * The item's pixels and mask under a placement chosen beforehand (e.g. from {@link ImageSize#read}).
	 *
	 * @throws DatasetException naming the file when it cannot be decoded, or when its size is no longer the one the
	 *     placement was made for (the file changed during the run)
	 */
	public static PreparedImage prepare(DatasetItem item, Placement p) throws DatasetException {
		BufferedImage img = ImageFiles.decode(item.image());
		return new PreparedImage(item.image(), p, pixels(img, item.image(), p), item.hasMask() ? mask(item.mask(), p) : null);
	}

	/** Only the mask of an item (when its latents come from the cache), or null when it has none. */
	public static float[] mask(DatasetItem item, Placement p) throws DatasetException {
		return item.hasMask() ? mask(item.mask(), p) : null;
	}

	private static float[] pixels(BufferedImage img, Path file, Placement p) throws DatasetException {
		if (img.getWidth() != p.original().width() || img.getHeight() != p.original().height()) {
			throw new DatasetException(file + ": the image is " + img.getWidth() + "x" + img.getHeight() + " but was "
				+ p.original() + " when the training data was planned; the file changed during the run");
		}
		Bucket b = p.bucket();
		float[][] planes = Resampler.window(RgbSource.of(img, file), p.resizedWidth(), p.resizedHeight(), p.cropLeft(),
			p.cropTop(), b.width(), b.height(), p.flip());
		int n = b.width() * b.height();
		float[] out = new float[3 * n];
		for (int c = 0; c < 3; c++) {
			float[] src = planes[c];
			for (int i = 0; i < n; i++) out[c * n + i] = (float) (src[i] / 127.5 - 1.0);
		}
		return out;
	}

	private static float[] mask(Path maskFile, Placement p) throws DatasetException {
		BufferedImage img = ImageFiles.decode(maskFile);
		Bucket b = p.bucket();
		float[][] planes = Resampler.window(RgbSource.of(img, maskFile), p.resizedWidth(), p.resizedHeight(), p.cropLeft(),
			p.cropTop(), b.width(), b.height(), p.flip());
		float[] m = planes[0];
		for (int i = 0; i < m.length; i++) m[i] = Math.max(0f, Math.min(1f, m[i] / 255f));
		return m;
	}
}
