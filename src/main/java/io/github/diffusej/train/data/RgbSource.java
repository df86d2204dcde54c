package io.github.diffusej.train.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.nio.file.Path;

import io.github.diffusej.data.DatasetException;

/**
 * Rows of a decoded image as red, green and blue in the 8-bit range [0, 255], whatever the file stored:
 * <ul>
 * <li>8-bit grey or RGB as stored; grey is copied to all three channels;</li>
 * <li>other integer depths (16-bit, and 1/2/4-bit grey) scaled to 8 bits, {@code round(v * 255 / (2^bits - 1))}
 * (16-bit: {@code round(v / 257)}), so a 16-bit file gives exactly what its plain 8-bit conversion gives; no contrast
 * stretch (the dataset builder does that, with the user's window);</li>
 * <li>palette images through their palette;</li>
 * <li>alpha composited on black ({@code colour * alpha / 255}; already premultiplied data as is). PIL's
 * {@code convert("RGB")}, which the reference scripts use, drops alpha instead and shows whatever colour lies under
 * transparent pixels; black keeps transparent areas from carrying arbitrary content;</li>
 * <li>samples are taken as numbers, without colour management (as PIL does): an embedded ICC profile is ignored.</li>
 * </ul>
 * Refused with a message naming the file: floating-point or 32-bit samples, and colour spaces other than grey and
 * RGB (CMYK).
 */
final class RgbSource {

	private final Raster raster;
	private final int width;
	private final int height;
	private final int bands;
	// palette images
	private final float[] lutR;
	private final float[] lutG;
	private final float[] lutB;
	// component images
	private final boolean grey;
	private final int alphaBand; // -1: none
	private final boolean premultiplied;
	private final int maxValue; // 2^bits - 1
	private final int[] row;
	// direct access to interleaved byte or short samples (the usual decoded PNG, JPEG, BMP and TIFF), which is
	// several times faster than Raster.getPixels; null when the layout is anything else
	private final byte[] bytes;
	private final short[] shorts;
	private final int[] bandOffsets;
	private final int pixelStride;
	private final int scanlineStride;
	private final int dataOffset;

	private RgbSource(BufferedImage img, Path file) throws DatasetException {
		this.raster = img.getRaster();
		this.width = img.getWidth();
		this.height = img.getHeight();
		this.bands = raster.getNumBands();
		ColorModel cm = img.getColorModel();
		int transfer = raster.getTransferType();
		if (transfer == DataBuffer.TYPE_FLOAT || transfer == DataBuffer.TYPE_DOUBLE) {
			throw new DatasetException(file + ": floating-point images are not supported as training images; convert "
				+ "them to 8-bit with the dataset builder");
		}
		if (cm instanceof IndexColorModel icm) {
			int n = icm.getMapSize();
			lutR = new float[n];
			lutG = new float[n];
			lutB = new float[n];
			for (int i = 0; i < n; i++) {
				float a = icm.hasAlpha() ? icm.getAlpha(i) / 255f : 1f;
				lutR[i] = icm.getRed(i) * a;
				lutG[i] = icm.getGreen(i) * a;
				lutB[i] = icm.getBlue(i) * a;
			}
			grey = false;
			alphaBand = -1;
			premultiplied = false;
			maxValue = 0;
		}
		else {
			lutR = lutG = lutB = null;
			int colours = cm.getNumColorComponents();
			int csType = cm.getColorSpace().getType();
			if (!(colours == 1 && csType == ColorSpace.TYPE_GRAY) && !(colours == 3 && csType == ColorSpace.TYPE_RGB)) {
				throw new DatasetException(file + ": " + colours + "-channel colour space of type " + csType
					+ " is not supported (only grey and RGB, with or without alpha); convert the image to RGB");
			}
			int expected = colours + (cm.hasAlpha() ? 1 : 0);
			if (bands != expected) throw new DatasetException(file + ": " + bands + " bands for " + expected
				+ " colour and alpha channels; the file is not a plain grey or RGB image");
			int bits = raster.getSampleModel().getSampleSize(0);
			for (int b = 1; b < bands; b++) {
				if (raster.getSampleModel().getSampleSize(b) != bits) throw new DatasetException(file
					+ ": channels of different bit depths are not supported");
			}
			if (bits > 16) throw new DatasetException(file + ": " + bits + "-bit samples are not supported; convert the "
				+ "image to 8 or 16 bits per channel");
			grey = colours == 1;
			alphaBand = cm.hasAlpha() ? colours : -1;
			premultiplied = cm.isAlphaPremultiplied();
			maxValue = (1 << bits) - 1;
		}
		this.row = new int[width * bands];
		byte[] fb = null;
		short[] fs = null;
		int[] offs = null;
		int ps = 0;
		int ss = 0;
		int off = 0;
		if (raster.getSampleModel() instanceof ComponentSampleModel csm && raster.getSampleModelTranslateX() == 0
			&& raster.getSampleModelTranslateY() == 0 && raster.getDataBuffer().getNumBanks() == 1)
		{
			DataBuffer db = raster.getDataBuffer();
			if (db instanceof DataBufferByte dbb) fb = dbb.getData();
			else if (db instanceof DataBufferUShort dbs) fs = dbs.getData();
			offs = csm.getBandOffsets();
			ps = csm.getPixelStride();
			ss = csm.getScanlineStride();
			off = db.getOffset();
		}
		this.bytes = fb;
		this.shorts = fs;
		this.bandOffsets = offs;
		this.pixelStride = ps;
		this.scanlineStride = ss;
		this.dataOffset = off;
	}

	private void readRow(int y) {
		if (bytes == null && shorts == null) {
			raster.getPixels(0, y, width, 1, row);
			return;
		}
		int base = dataOffset + y * scanlineStride;
		for (int b = 0; b < bands; b++) {
			int p = base + bandOffsets[b];
			if (bytes != null) {
				for (int x = 0, o = b; x < width; x++, o += bands, p += pixelStride) row[o] = bytes[p] & 0xff;
			}
			else {
				for (int x = 0, o = b; x < width; x++, o += bands, p += pixelStride) row[o] = shorts[p] & 0xffff;
			}
		}
	}

	static RgbSource of(BufferedImage img, Path file) throws DatasetException {
		return new RgbSource(img, file);
	}

	int width() {
		return width;
	}

	int height() {
		return height;
	}

	/** Row {@code y} into {@code r, g, b} (each at least {@code width} long), values in [0, 255]. */
	void row(int y, float[] r, float[] g, float[] b) {
		readRow(y);
		if (lutR != null) {
			int n = lutR.length;
			for (int x = 0; x < width; x++) {
				int i = row[x];
				if (i < 0 || i >= n) i = 0; // out-of-palette index in damaged data: use entry 0 rather than fail
				r[x] = lutR[i];
				g[x] = lutG[i];
				b[x] = lutB[i];
			}
			return;
		}
		for (int x = 0, o = 0; x < width; x++, o += bands) {
			float cr;
			float cg;
			float cb;
			if (grey) {
				cr = cg = cb = to8(row[o]);
			}
			else {
				cr = to8(row[o]);
				cg = to8(row[o + 1]);
				cb = to8(row[o + 2]);
			}
			if (alphaBand >= 0 && !premultiplied) {
				float a = to8(row[o + alphaBand]) / 255f;
				cr *= a;
				cg *= a;
				cb *= a;
			}
			r[x] = cr;
			g[x] = cg;
			b[x] = cb;
		}
	}

	private float to8(int v) {
		if (maxValue == 255) return v;
		return Math.round(v * 255.0 / maxValue);
	}
}
