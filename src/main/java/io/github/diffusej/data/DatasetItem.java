package io.github.diffusej.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One training example as a trainer sees it.
 *
 * @param image absolute path of the image file
 * @param caption the caption (may be empty, never null)
 * @param mask absolute path of a greyscale mask (255 = train, 0 = ignore), or null
 */
public record DatasetItem(Path image, String caption, Path mask) {

	public DatasetItem {
		Objects.requireNonNull(image, "image");
		caption = caption == null ? "" : caption;
	}

	public boolean hasMask() {
		return mask != null;
	}

	public DatasetItem withCaption(String newCaption) {
		return new DatasetItem(image, newCaption, mask);
	}
}
