package io.github.diffusej.data;

import ij.io.FileInfo;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;

import java.awt.Rectangle;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Reads rectangles of an uncompressed TIFF's planes straight from the file, row by row, so that a plane too large
 * to decode whole (a 40000 x 40000 slide scan) can still be tiled: only one tile, and a strided sample of the
 * plane for its contrast, is ever in memory. Supports what ImageJ writes and most instruments export uncompressed:
 * 8-bit, 16-bit (unsigned, and signed as ImageJ maps it), 32-bit float and interleaved 8-bit RGB, one contiguous
 * block per plane.
 */
final class LargeTiff implements AutoCloseable {

	private final Path file;
	private final FileInfo[] info;
	private final RandomAccessFile raf;
	private final int width;
	private final int height;
	private final int bytesPerPixel;
	private final long planes;

	LargeTiff(Path file, FileInfo[] info) throws IOException {
		this.file = file;
		this.info = info;
		this.raf = new RandomAccessFile(file.toFile(), "r");
		this.width = info[0].width;
		this.height = info[0].height;
		this.bytesPerPixel = info[0].getBytesPerPixel();
		this.planes = info.length == 1 ? Math.max(1, info[0].nImages) : info.length;
	}

	/**
	 * True when every plane is uncompressed, of a supported pixel type, one contiguous block (strips back to back)
	 * and inside the file of {@code fileSize} bytes.
	 */
	static boolean supports(FileInfo[] info, long fileSize) {
		FileInfo first = info[0];
		for (FileInfo fi : info) {
			if (fi.compression != FileInfo.COMPRESSION_NONE) return false;
			if (fi.fileType != first.fileType || fi.width != first.width || fi.height != first.height) return false;
			if (fi.fileType != FileInfo.GRAY8 && fi.fileType != FileInfo.GRAY16_UNSIGNED
				&& fi.fileType != FileInfo.GRAY16_SIGNED && fi.fileType != FileInfo.GRAY32_FLOAT
				&& fi.fileType != FileInfo.RGB) return false;
			if (fi.stripOffsets != null && fi.stripOffsets.length > 1 && fi.stripLengths != null) {
				long expect = fi.stripOffsets[0] & 0xffffffffL;
				for (int i = 0; i < fi.stripOffsets.length; i++) {
					if ((fi.stripOffsets[i] & 0xffffffffL) != expect) return false;
					expect += fi.stripLengths[i] & 0xffffffffL;
				}
			}
		}
		long planeBytes = (long) first.width * first.height * first.getBytesPerPixel();
		long planes = info.length == 1 ? Math.max(1, first.nImages) : info.length;
		for (long p = 0; p < planes; p++) if (offset(info, p, planeBytes) + planeBytes > fileSize) return false;
		return true;
	}

	private static long offset(FileInfo[] info, long plane, long planeBytes) {
		if (info.length > 1) return info[(int) plane].getOffset();
		return info[0].getOffset() + plane * (planeBytes + info[0].getGap());
	}

	int width() {
		return width;
	}

	int height() {
		return height;
	}

	long planes() {
		return planes;
	}

	boolean isRgb() {
		return info[0].fileType == FileInfo.RGB;
	}

	FileInfo info() {
		return info[0];
	}

	/** The rectangle {@code r} of plane {@code plane} (0-based) as an ImageJ processor of the file's type. */
	ImageProcessor read(long plane, Rectangle r) throws IOException {
		return read(plane, r, 1);
	}

	/**
	 * Every {@code step}-th pixel of every {@code step}-th row of the rectangle: a small image for contrast and
	 * background statistics, read without holding the plane.
	 */
	ImageProcessor read(long plane, Rectangle r, int step) throws IOException {
		int ow = (r.width + step - 1) / step, oh = (r.height + step - 1) / step;
		long planeBytes = (long) width * height * bytesPerPixel;
		long base = offset(info, plane, planeBytes);
		byte[] row = new byte[r.width * bytesPerPixel];
		ByteBuffer b = ByteBuffer.wrap(row).order(info[0].intelByteOrder ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
		int type = info[0].fileType;
		Object out = switch (type) {
			case FileInfo.GRAY8 -> new byte[ow * oh];
			case FileInfo.GRAY32_FLOAT -> new float[ow * oh];
			case FileInfo.RGB -> new int[ow * oh];
			default -> new short[ow * oh];
		};
		for (int oy = 0; oy < oh; oy++) {
			long y = r.y + (long) oy * step;
			raf.seek(base + (y * width + r.x) * bytesPerPixel);
			raf.readFully(row);
			for (int ox = 0; ox < ow; ox++) {
				int x = ox * step;
				int i = oy * ow + ox;
				switch (type) {
					case FileInfo.GRAY8 -> ((byte[]) out)[i] = row[x];
					case FileInfo.GRAY32_FLOAT -> ((float[]) out)[i] = b.getFloat(4 * x);
					case FileInfo.RGB -> ((int[]) out)[i] = (row[3 * x] & 0xff) << 16 | (row[3 * x + 1] & 0xff) << 8
						| (row[3 * x + 2] & 0xff);
					case FileInfo.GRAY16_SIGNED -> ((short[]) out)[i] = (short) (b.getShort(2 * x) + 32768);
					default -> ((short[]) out)[i] = b.getShort(2 * x);
				}
			}
		}
		return switch (type) {
			case FileInfo.GRAY8 -> new ByteProcessor(ow, oh, (byte[]) out);
			case FileInfo.GRAY32_FLOAT -> new FloatProcessor(ow, oh, (float[]) out);
			case FileInfo.RGB -> new ColorProcessor(ow, oh, (int[]) out);
			default -> new ShortProcessor(ow, oh, (short[]) out, null);
		};
	}

	/** The sampling step that keeps a strided read of the whole plane under {@code maxPixels}. */
	int step(long maxPixels) {
		int k = 1;
		while ((long) ((width + k - 1) / k) * ((height + k - 1) / k) > maxPixels) k++;
		return k;
	}

	Path file() {
		return file;
	}

	@Override
	public void close() throws IOException {
		raf.close();
	}
}
