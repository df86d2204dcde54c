package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetException;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;

/**
 * Image files through Java ImageIO (PNG, JPEG, BMP, GIF, and TIFF through the JDK's TIFF plugin). The first image of
 * a multi-image file is used. Every failure, including the runtime exceptions some readers throw on damaged data,
 * becomes a {@link DatasetException} naming the file.
 */
final class ImageFiles {

	/**
	 * The largest image decoded (64 Mpx, about 256 MB as decoded 8-bit RGBA): larger scientific images should be
	 * tiled by the dataset builder first; refusing them keeps one bad file from exhausting the heap.
	 */
	static final long MAX_PIXELS = 1L << 26;

	private ImageFiles() {}

	@FunctionalInterface
	private interface ReaderTask<T> {
		T run(ImageReader reader, List<String> warnings) throws IOException;
	}

	static ImageSize size(Path file) throws DatasetException {
		return withReader(file, (r, w) -> new ImageSize(r.getWidth(0), r.getHeight(0)));
	}

	/**
	 * Decodes the first image. A reader warning (a truncated JPEG is decoded with grey filling and only a warning,
	 * "Missing EOI marker") is an error: training on silently damaged pixels is worse than stopping with a message
	 * that says which file to re-save.
	 */
	static BufferedImage decode(Path file) throws DatasetException {
		return withReader(file, (r, warnings) -> {
			long px = (long) r.getWidth(0) * r.getHeight(0);
			if (px > MAX_PIXELS) throw new DatasetException(file + ": " + r.getWidth(0) + "x" + r.getHeight(0)
				+ " pixels is larger than the " + (MAX_PIXELS >> 20) + " Mpx a training image may have; tile it with the "
				+ "dataset builder first");
			BufferedImage img = r.read(0);
			if (!warnings.isEmpty()) throw new DatasetException(file + ": damaged image data (" + String.join("; ", warnings)
				+ "); re-save the image or remove it from the dataset");
			return img;
		});
	}

	private static <T> T withReader(Path file, ReaderTask<T> task) throws DatasetException {
		if (!Files.isRegularFile(file)) throw new DatasetException(file + ": no such image file");
		try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
			Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
			if (!readers.hasNext()) throw new DatasetException(file + ": not an image Java can read (PNG, JPEG, TIFF, BMP, "
				+ "GIF), or the file is damaged");
			ImageReader reader = readers.next();
			List<String> warnings = new ArrayList<>();
			try {
				reader.setInput(in, true, true);
				reader.addIIOReadWarningListener((source, message) -> warnings.add(message));
				return task.run(reader, warnings);
			}
			finally {
				reader.dispose();
			}
		}
		catch (DatasetException e) {
			throw e;
		}
		catch (IOException | RuntimeException e) {
			// Readers throw IIOException, EOFException, but also IndexOutOfBounds or IllegalArgument on bad data.
			String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
			throw new DatasetException(file + ": cannot read the image (" + why + "); the file is damaged or truncated", e);
		}
	}
}
