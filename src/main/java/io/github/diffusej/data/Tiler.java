package io.github.diffusej.data;

import ij.gui.Roi;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;

import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.List;

/**
 * Geometry of training images: every mode reduces to a list of source rectangles that are cropped and scaled to
 * the output size, so images and masks are cut the same way.
 */
public final class Tiler {

	private Tiler() {}

	/** The centred square of side min(w, h): scaling it to the resolution = shortest side to resolution + crop. */
	public static Rectangle centreSquare(int w, int h) {
		int s = Math.min(w, h);
		return new Rectangle((w - s) / 2, (h - s) / 2, s, s);
	}

	/**
	 * Tiles of {@code size} x {@code size} covering the whole image, spread evenly so that neighbours overlap by
	 * at least {@code overlap} pixels and the last row and column touch the far edges. An image smaller than a tile gives its centre square.
	 */
	public static List<Rectangle> tiles(int w, int h, int size, int overlap) {
		if (w < size || h < size) return List.of(centreSquare(w, h));
		List<Rectangle> out = new ArrayList<>();
		for (int y : starts(h, size, size - overlap)) {
			for (int x : starts(w, size, size - overlap)) out.add(new Rectangle(x, y, size, size));
		}
		return out;
	}

	/** Evenly spread starts: the fewest tiles whose overlap is at least the requested one. */
	private static List<Integer> starts(int length, int size, int stride) {
		int n = (length - size + stride - 1) / stride + 1;
		List<Integer> s = new ArrayList<>();
		if (n == 1) {
			s.add(0);
			return s;
		}
		for (int i = 0; i < n; i++) s.add((int) Math.round((double) i * (length - size) / (n - 1)));
		return s;
	}

	/**
	 * A square around a ROI: its bounds grown to a square about the ROI centre, at most min(w, h), shifted to lie
	 * inside the image.
	 */
	public static Rectangle squareAround(Roi roi, int w, int h) {
		Rectangle b = roi.getBounds();
		int side = Math.min(Math.max(b.width, b.height), Math.min(w, h));
		side = Math.max(side, 1);
		int x = b.x + b.width / 2 - side / 2;
		int y = b.y + b.height / 2 - side / 2;
		x = Math.max(0, Math.min(x, w - side));
		y = Math.max(0, Math.min(y, h - side));
		return new Rectangle(x, y, side, side);
	}

	/** Crops {@code r} and scales it to outW x outH (averaging when shrinking, bilinear when enlarging). */
	public static ImageProcessor cropResize(ImageProcessor ip, Rectangle r, int outW, int outH) {
		ip.setRoi(r);
		ImageProcessor c = ip.crop();
		ip.resetRoi();
		return resize(c, outW, outH);
	}

	/** Scales to outW x outH (averaging when shrinking, bilinear when enlarging); unchanged when the size fits. */
	public static ImageProcessor resize(ImageProcessor ip, int outW, int outH) {
		if (ip.getWidth() == outW && ip.getHeight() == outH) return ip;
		ip.setInterpolationMethod(ImageProcessor.BILINEAR);
		return ip.resize(outW, outH, true);
	}

	/** A binary mask (255 inside any area ROI) the size of the image. */
	public static ByteProcessor roiMask(int w, int h, List<Roi> rois) {
		ByteProcessor m = new ByteProcessor(w, h);
		m.setColor(255);
		for (Roi r : rois) {
			if (r.isArea()) m.fill(r);
		}
		return m;
	}

	/** A mask cropped and scaled like its image, thresholded back to 0/255. */
	public static ByteProcessor cropMask(ByteProcessor mask, Rectangle r, int outW, int outH) {
		ImageProcessor c = cropResize(mask, r, outW, outH);
		byte[] px = (byte[]) c.getPixels();
		for (int i = 0; i < px.length; i++) px[i] = (byte) ((px[i] & 0xff) >= 128 ? 255 : 0);
		return (ByteProcessor) c;
	}

	/** Luminance statistics used to find empty tiles. */
	public record TileStats(double mean, double std, double backgroundFraction) {}

	/** Luminance (Rec. 601, 0..255) of packed RGB pixels. */
	static int luminance(int p) {
		return (((p >> 16) & 0xff) * 299 + ((p >> 8) & 0xff) * 587 + (p & 0xff) * 114 + 500) / 1000;
	}

	/** The most frequent luminance of an RGB image: its background level, dark or bright. */
	public static int backgroundLevel(ColorProcessor cp) {
		int[] hist = new int[256];
		for (int p : (int[]) cp.getPixels()) hist[luminance(p)]++;
		int best = 0;
		for (int i = 1; i < 256; i++) if (hist[i] > hist[best]) best = i;
		return best;
	}

	/** Mean, standard deviation and fraction of pixels within {@code tolerance} of the background level. */
	public static TileStats stats(ColorProcessor cp, int background, int tolerance) {
		int[] px = (int[]) cp.getPixels();
		double sum = 0;
		double sum2 = 0;
		long bg = 0;
		for (int p : px) {
			int l = luminance(p);
			sum += l;
			sum2 += (double) l * l;
			if (Math.abs(l - background) <= tolerance) bg++;
		}
		double mean = sum / px.length;
		double var = Math.max(0, sum2 / px.length - mean * mean);
		return new TileStats(mean, Math.sqrt(var), (double) bg / px.length);
	}
}
