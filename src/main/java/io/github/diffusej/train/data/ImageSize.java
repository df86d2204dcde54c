package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetException;

import java.nio.file.Path;

/**
 * The size of an image file as stored (no EXIF rotation is applied, as kohya and diffusers load images).
 *
 * @param width pixels
 * @param height pixels
 */
public record ImageSize(int width, int height) {

	public ImageSize {
		if (width <= 0 || height <= 0) throw new IllegalArgumentException("image sides must be positive: " + width + "x" + height);
	}

	/**
	 * Reads the size from the file's header without decoding the pixels (the ImageIO reader's header, for PNG,
	 * JPEG, TIFF, BMP and GIF).
	 *
	 * @throws DatasetException naming the file when it is missing, of an unknown type, or its header is damaged
	 */
	public static ImageSize read(Path file) throws DatasetException {
		return ImageFiles.size(file);
	}

	public long pixels() {
		return (long) width * height;
	}

	@Override
	public String toString() {
		return width + "x" + height;
	}
}
