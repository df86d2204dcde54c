package io.github.diffusej.data;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileInfo;
import ij.measure.Calibration;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;

import java.awt.Rectangle;
import java.io.IOException;

import io.github.diffusej.data.BuildSettings.NormalizeMode;
import io.github.diffusej.data.BuildSettings.Normalization;

/**
 * The planes of a TIFF too large to decode, as the builder's {@link ImageConverter8Bit.Plane}s: each tile is read
 * from the file when it is cut and converted to 8-bit RGB with a contrast window taken from a strided sample of
 * the plane (or of all selected planes, for per-stack contrast). Display-range contrast uses the sampled minimum
 * and maximum, as ImageJ sets the display range of a freshly opened image.
 */
final class StreamedTiff {

	private StreamedTiff() {}

	/** Most pixels sampled per plane for its contrast window and background. */
	static final int SAMPLE_PIXELS = 1 << 22;

	/** The contrast window of one plane, or of several planes together, from strided samples. */
	static double[] range(LargeTiff tiff, Iterable<Long> planes, Normalization norm) throws IOException {
		int bits = tiff.info().getBytesPerPixel() * 8;
		if (bits == 8 && norm.mode() != NormalizeMode.DISPLAY_RANGE) return new double[] {0, 255};
		ImageConverter8Bit.ValueSampler s = new ImageConverter8Bit.ValueSampler(bits, ImageConverter8Bit.FLOAT_SAMPLE_LIMIT);
		double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
		Rectangle all = new Rectangle(0, 0, tiff.width(), tiff.height());
		int step = tiff.step(SAMPLE_PIXELS);
		for (long p : planes) {
			ImageProcessor ip = tiff.read(p, all, step);
			s.add(ip);
			for (int i = 0; i < ip.getPixelCount(); i++) {
				float v = ip.getf(i);
				if (Float.isFinite(v)) {
					min = Math.min(min, v);
					max = Math.max(max, v);
				}
			}
		}
		if (norm.mode() == NormalizeMode.DISPLAY_RANGE) return min <= max ? new double[] {min, max} : new double[] {0, 0};
		return s.percentileRange(norm.saturation());
	}

	/** One plane (0-based) cut tile by tile from the file; {@code range} null for RGB. */
	static ImageConverter8Bit.Plane plane(LargeTiff tiff, long plane, double[] range, long[] nonFinite) {
		return new ImageConverter8Bit.Plane() {

			@Override
			public int width() {
				return tiff.width();
			}

			@Override
			public int height() {
				return tiff.height();
			}

			@Override
			public ColorProcessor crop(Rectangle r) {
				return convert(read(r, 1));
			}

			@Override
			public ColorProcessor preview(int maxPixels) {
				return convert(read(new Rectangle(0, 0, tiff.width(), tiff.height()), tiff.step(maxPixels)));
			}

			private ImageProcessor read(Rectangle r, int step) {
				try {
					return tiff.read(plane, r, step);
				}
				catch (IOException e) {
					// an input failure, not the dataset's: the builder skips this source
					throw new IllegalStateException(tiff.file() + ": cannot read plane " + (plane + 1) + " ("
						+ e.getMessage() + ")", e);
				}
			}

			private ColorProcessor convert(ImageProcessor ip) {
				if (ip instanceof ColorProcessor cp) return cp;
				if (ip.getBitDepth() == 32) {
					for (float v : (float[]) ip.getPixels()) if (!Float.isFinite(v)) nonFinite[0]++;
				}
				return ImageConverter8Bit.applyLut(ImageConverter8Bit.toIndex(ip, range[0], range[1]), ip.getWidth(),
					ip.getHeight(), null);
			}
		};
	}

	/**
	 * An ImagePlus that answers what the builder asks of a source (title, size, planes, type, calibration, slice
	 * labels) without any pixels: the planes stay in the file.
	 */
	static ImagePlus standIn(String title, LargeTiff tiff) {
		FileInfo fi = tiff.info();
		int planes = (int) Math.min(Integer.MAX_VALUE, tiff.planes());
		ImageStack labels = new ImageStack(tiff.width(), tiff.height(), planes);
		Calibration cal = new Calibration();
		if (fi.pixelWidth > 0) cal.pixelWidth = fi.pixelWidth;
		if (fi.pixelHeight > 0) cal.pixelHeight = fi.pixelHeight;
		if (fi.pixelDepth > 0) cal.pixelDepth = fi.pixelDepth;
		if (fi.unit != null) cal.setUnit(fi.unit);
		int type = switch (fi.fileType) {
			case FileInfo.GRAY8 -> ImagePlus.GRAY8;
			case FileInfo.GRAY32_FLOAT -> ImagePlus.GRAY32;
			case FileInfo.RGB -> ImagePlus.COLOR_RGB;
			default -> ImagePlus.GRAY16;
		};
		return new ImagePlus() {

			@Override
			public String getTitle() {
				return title;
			}

			@Override
			public int getWidth() {
				return tiff.width();
			}

			@Override
			public int getHeight() {
				return tiff.height();
			}

			@Override
			public int getStackSize() {
				return planes;
			}

			@Override
			public int getNChannels() {
				return 1;
			}

			@Override
			public int getNSlices() {
				return planes;
			}

			@Override
			public int getNFrames() {
				return 1;
			}

			@Override
			public int getType() {
				return type;
			}

			@Override
			public int getC() {
				return 1;
			}

			@Override
			public ImageStack getStack() {
				return labels;
			}

			@Override
			public Calibration getCalibration() {
				return cal;
			}
		};
	}
}
