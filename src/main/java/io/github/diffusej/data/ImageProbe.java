package io.github.diffusej.data;

import ij.io.FileInfo;
import ij.io.TiffDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An image file's dimensions, read from its header before any pixel is decoded, so that a 222-byte TIFF claiming
 * 30000 x 30000 pixels, or a small PNG that decodes to 900 MB, is skipped by its size instead of costing the build
 * an OutOfMemoryError.
 *
 * @param width pixels per row
 * @param height rows
 * @param planes planes (IFDs, or the images of an ImageJ stack)
 * @param bytesPerPixel bytes of one decoded pixel in ImageJ (1, 2, 4; 4 for RGB)
 * @param tiff the TIFF planes when the file is an uncompressed, contiguous TIFF whose planes can be read region by
 *        region ({@link LargeTiff}); null otherwise
 */
record ImageProbe(int width, int height, long planes, int bytesPerPixel, FileInfo[] tiff) {

	/** Bytes ImageJ needs to hold the decoded image. */
	long decodedBytes() {
		long b = (long) width * height;
		b = b > Long.MAX_VALUE / Math.max(1, planes) ? Long.MAX_VALUE : b * planes;
		return b > Long.MAX_VALUE / bytesPerPixel ? Long.MAX_VALUE : b * bytesPerPixel;
	}

	/** w x h x bytes per pixel, saturating instead of wrapping. */
	private static final class PixelBytes {
		static long of(long w, long h, long bpp) {
			try {
				return Math.multiplyExact(Math.multiplyExact(w, h), bpp);
			}
			catch (ArithmeticException e) {
				return Long.MAX_VALUE;
			}
		}
	}

	String describe() {
		return width + "x" + height + (planes > 1 ? "x" + planes + " planes" : "") + " at " + 8 * bytesPerPixel
			+ " bits";
	}

	/**
	 * The header of a TIFF, PNG, JPEG, GIF or BMP file; null for other types (they are opened as before) or when
	 * the header says nothing usable.
	 *
	 * @throws IOException when the header is damaged or claims more pixel data than the file holds
	 */
	static ImageProbe read(Path file) throws IOException {
		String ext = DatasetReader.extension(file).toLowerCase(Locale.ROOT);
		return switch (ext) {
			case "tif", "tiff" -> tiff(file);
			case "png", "jpg", "jpeg", "gif", "bmp" -> imageIo(file);
			default -> null;
		};
	}

	private static ImageProbe tiff(Path file) throws IOException {
		Path abs = file.toAbsolutePath();
		FileInfo[] info;
		try {
			TiffDecoder d = new TiffDecoder(abs.getParent().toString() + java.io.File.separator, abs.getFileName().toString());
			info = d.getTiffInfo();
		}
		catch (RuntimeException e) {
			throw new IOException("the TIFF header is damaged (" + e + ")", e);
		}
		if (info == null || info.length == 0) throw new IOException("no TIFF image directory found");
		FileInfo fi = info[0];
		if (fi.width < 1 || fi.height < 1) throw new IOException("the TIFF header claims " + fi.width + "x" + fi.height
			+ " pixels");
		long planes = info.length == 1 ? Math.max(1, fi.nImages) : info.length;
		int bpp = fi.getBytesPerPixel() >= 3 ? 4 : Math.max(1, fi.getBytesPerPixel());
		long size = Files.size(file);
		if (fi.compression == FileInfo.COMPRESSION_NONE && fi.getBytesPerPixel() > 0) {
			// an uncompressed plane must be in the file: a 222-byte header cannot hold 30000 x 30000 pixels
			long need = PixelBytes.of(fi.width, fi.height, fi.getBytesPerPixel());
			if (fi.getOffset() + need > size) throw new IOException("the TIFF header claims " + fi.width + "x" + fi.height
				+ " uncompressed pixels (" + need + " bytes from offset " + fi.getOffset() + ") but the file has only "
				+ size + " bytes: truncated or damaged");
		}
		boolean streamable = LargeTiff.supports(info, size);
		return new ImageProbe(fi.width, fi.height, planes, bpp, streamable ? info : null);
	}

	private static ImageProbe imageIo(Path file) throws IOException {
		try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
			if (in == null) return null;
			Iterator<ImageReader> it = ImageIO.getImageReaders(in);
			if (!it.hasNext()) return null;
			ImageReader r = it.next();
			try {
				r.setInput(in, true, true);
				int w = r.getWidth(0), h = r.getHeight(0);
				if (w < 1 || h < 1) throw new IOException("the header claims " + w + "x" + h + " pixels");
				return new ImageProbe(w, h, 1, 4, null);
			}
			finally {
				r.dispose();
			}
		}
		catch (RuntimeException e) {
			throw new IOException("the image header is damaged (" + e + ")", e);
		}
	}
}
