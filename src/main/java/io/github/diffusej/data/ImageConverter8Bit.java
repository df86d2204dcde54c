package io.github.diffusej.data;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;

import java.awt.Rectangle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.github.diffusej.data.BuildSettings.Normalization;
import io.github.diffusej.data.BuildSettings.NormalizeMode;

/**
 * Turns planes of an {@link ImagePlus} into 8-bit RGB training images: intensities through a contrast window
 * ({@link NormalizeMode}), then through the channel's LUT (grey replicated to RGB), composites added up channel by
 * channel as ImageJ displays them. RGB sources pass unchanged.
 *
 * <p>Non-finite pixels: NaN and -Inf become 0 (black), +Inf becomes 255; percentiles are taken over finite values
 * only. The number of non-finite pixels met is counted for the build report.
 */
public final class ImageConverter8Bit {

	/** Most values a float percentile is computed from; larger planes are sampled with a fixed stride. */
	static final int FLOAT_SAMPLE_LIMIT = 1 << 21;

	private final ImagePlus imp;
	private final Normalization norm;
	private final List<Integer> slices;
	private final List<Integer> frames;
	private final Map<Integer, double[]> stackRanges = new HashMap<>();
	private long nonFinite;

	/**
	 * @param slices the z indices a per-stack contrast is computed over
	 * @param frames the t indices a per-stack contrast is computed over
	 */
	public ImageConverter8Bit(ImagePlus imp, Normalization norm, List<Integer> slices, List<Integer> frames) {
		this.imp = imp;
		this.norm = norm;
		this.slices = slices;
		this.frames = frames;
	}

	/**
	 * Stack index of (c, z, t), 1-based. ImagePlus.getStackIndex trusts dimensions that are only checked by the
	 * getNChannels/getNSlices/getNFrames getters, so a fresh ImagePlus may answer 1 for every plane.
	 */
	public static int stackIndex(ImagePlus imp, int c, int z, int t) {
		int nc = imp.getNChannels();
		int nz = imp.getNSlices();
		int nt = imp.getNFrames();
		if (nc * nz * nt != imp.getStackSize()) return Math.min(z, imp.getStackSize());
		return (Math.min(t, nt) - 1) * nc * nz + (Math.min(z, nz) - 1) * nc + Math.min(c, nc);
	}

	/** Non-finite pixels met so far (each plane counted once per conversion). */
	public long nonFinitePixels() {
		return nonFinite;
	}

	/** One channel of one plane through that channel's LUT. */
	public ColorProcessor plane(int c, int z, int t) {
		return view(List.of(c), z, t).full();
	}

	/**
	 * The given channels of one plane combined additively, each through its LUT, as ImageJ's composite mode draws
	 * them.
	 */
	public ColorProcessor composite(List<Integer> channels, int z, int t) {
		return view(channels, z, t).full();
	}

	/**
	 * A plane (one channel, or several added as a composite) that is converted only where it is cut: tiles of a
	 * huge mosaic never need the whole plane as RGB in memory. The contrast window is computed from the whole
	 * plane (or stack) here, once.
	 */
	public PlaneView view(List<Integer> channels, int z, int t) {
		List<ImageProcessor> ips = new ArrayList<>();
		List<double[]> ranges = new ArrayList<>();
		List<LUT> luts = new ArrayList<>();
		for (int c : channels) {
			ImageProcessor ip = imp.getStack().getProcessor(stackIndex(imp, c, z, t));
			ips.add(ip);
			if (ip instanceof ColorProcessor) {
				ranges.add(null);
				luts.add(null);
			}
			else {
				ranges.add(range(c, ip));
				luts.add(lut(c, ip));
				countNonFinite(ip);
			}
		}
		return new PlaneView(imp.getWidth(), imp.getHeight(), ips, ranges, luts);
	}

	/**
	 * A plane as the builder cuts it: its size, any rectangle as RGB, and a small preview. Planes of open images
	 * ({@link PlaneView}) and planes streamed from a file too large to decode ({@link LargeTiff}) look alike.
	 */
	public interface Plane {

		int width();

		int height();

		/** The rectangle {@code r} as RGB. */
		ColorProcessor crop(Rectangle r);

		/** The plane shrunk to at most {@code maxPixels}, for its background level. */
		ColorProcessor preview(int maxPixels);
	}

	/** One plane ready to be cut; see {@link ImageConverter8Bit#view}. */
	public static final class PlaneView implements Plane {

		private final int width;
		private final int height;
		private final List<ImageProcessor> ips;
		private final List<double[]> ranges;
		private final List<LUT> luts;

		PlaneView(int width, int height, List<ImageProcessor> ips, List<double[]> ranges, List<LUT> luts) {
			this.width = width;
			this.height = height;
			this.ips = ips;
			this.ranges = ranges;
			this.luts = luts;
		}

		@Override
		public int width() {
			return width;
		}

		@Override
		public int height() {
			return height;
		}

		/** The whole plane as RGB. */
		public ColorProcessor full() {
			return crop(new Rectangle(0, 0, width, height));
		}

		@Override
		public ColorProcessor crop(Rectangle r) {
			int n = r.width * r.height;
			if (ips.size() == 1) return channel(0, r);
			int[] red = new int[n];
			int[] green = new int[n];
			int[] blue = new int[n];
			for (int k = 0; k < ips.size(); k++) {
				int[] rgb = (int[]) channel(k, r).getPixels();
				for (int i = 0; i < n; i++) {
					int p = rgb[i];
					red[i] += (p >> 16) & 0xff;
					green[i] += (p >> 8) & 0xff;
					blue[i] += p & 0xff;
				}
			}
			int[] out = new int[n];
			for (int i = 0; i < n; i++) {
				out[i] = (Math.min(255, red[i]) << 16) | (Math.min(255, green[i]) << 8) | Math.min(255, blue[i]);
			}
			return new ColorProcessor(r.width, r.height, out);
		}

		/** The plane shrunk by sampling every k-th pixel to at most {@code maxPixels}: for its background level. */
		@Override
		public ColorProcessor preview(int maxPixels) {
			int k = 1;
			while ((long) (width / k) * (height / k) > maxPixels) k++;
			if (k == 1) return full();
			int pw = width / k;
			int ph = height / k;
			int[] out = new int[pw * ph];
			for (int y = 0; y < ph; y++) {
				ColorProcessor row = crop(new Rectangle(0, y * k, width, 1));
				int[] px = (int[]) row.getPixels();
				for (int x = 0; x < pw; x++) out[y * pw + x] = px[x * k];
			}
			return new ColorProcessor(pw, ph, out);
		}

		private ColorProcessor channel(int k, Rectangle r) {
			ImageProcessor ip = ips.get(k);
			ImageProcessor c;
			if (r.x == 0 && r.y == 0 && r.width == ip.getWidth() && r.height == ip.getHeight()) c = ip;
			else {
				ip.setRoi(r);
				c = ip.crop();
				ip.resetRoi();
			}
			if (c instanceof ColorProcessor cp) return c == ip ? (ColorProcessor) cp.duplicate() : cp;
			double[] range = ranges.get(k);
			return applyLut(toIndex(c, range[0], range[1]), c.getWidth(), c.getHeight(), luts.get(k));
		}
	}

	/** The contrast window [min, max] used for channel c (for {@code PER_IMAGE}, of the plane {@code ip}). */
	double[] range(int c, ImageProcessor ip) {
		if (norm.mode() == NormalizeMode.DISPLAY_RANGE) return displayRange(c, ip);
		if (ip.getBitDepth() == 8) return new double[] {0, 255};
		if (norm.mode() == NormalizeMode.PER_IMAGE) {
			ValueSampler s = new ValueSampler(ip.getBitDepth(), FLOAT_SAMPLE_LIMIT);
			s.add(ip);
			return s.percentileRange(norm.saturation());
		}
		return stackRanges.computeIfAbsent(c, ch -> {
			int planes = slices.size() * frames.size();
			ValueSampler s = new ValueSampler(ip.getBitDepth(), Math.max(1 << 16, (8 << 20) / Math.max(1, planes)));
			for (int z : slices) {
				for (int t : frames) s.add(imp.getStack().getProcessor(stackIndex(imp, ch, z, t)));
			}
			return s.percentileRange(norm.saturation());
		});
	}

	private double[] displayRange(int c, ImageProcessor ip) {
		if (imp instanceof CompositeImage ci && imp.getNChannels() > 1) {
			LUT l = ci.getChannelLut(c);
			return new double[] {l.min, l.max};
		}
		if (imp.getNChannels() == 1) return new double[] {imp.getDisplayRangeMin(), imp.getDisplayRangeMax()};
		return new double[] {ip.getMin(), ip.getMax()};
	}

	private LUT lut(int c, ImageProcessor ip) {
		if (imp instanceof CompositeImage ci && imp.getNChannels() > 1) return ci.getChannelLut(c);
		LUT l = imp.getNChannels() == 1 ? imp.getProcessor().getLut() : ip.getLut();
		return l;
	}

	private void countNonFinite(ImageProcessor ip) {
		if (ip.getBitDepth() != 32) return;
		float[] px = (float[]) ip.getPixels();
		long n = 0;
		for (float v : px) if (!Float.isFinite(v)) n++;
		nonFinite += n;
	}

	/**
	 * Maps a grey plane to 8-bit indices: {@code round(255 * (v - min) / (max - min))} clamped to 0..255.
	 * NaN and -Inf give 0, +Inf gives 255. A window with {@code max <= min} sends values above min to 255.
	 */
	public static byte[] toIndex(ImageProcessor ip, double min, double max) {
		int n = ip.getPixelCount();
		byte[] out = new byte[n];
		double scale = max > min ? 255.0 / (max - min) : Double.POSITIVE_INFINITY;
		for (int i = 0; i < n; i++) {
			float v = ip.getf(i);
			int k;
			if (Float.isNaN(v) || v == Float.NEGATIVE_INFINITY) k = 0;
			else if (v == Float.POSITIVE_INFINITY) k = 255;
			else {
				double d = (v - min) * scale;
				k = d <= 0 || Double.isNaN(d) ? 0 : d >= 255 ? 255 : (int) Math.round(d);
			}
			out[i] = (byte) k;
		}
		return out;
	}

	/** Indices through a LUT (null = grey) into packed RGB. */
	public static ColorProcessor applyLut(byte[] idx, int w, int h, LUT lut) {
		int[] table = new int[256];
		for (int i = 0; i < 256; i++) {
			table[i] = lut == null ? (i << 16) | (i << 8) | i
				: (lut.getRed(i) << 16) | (lut.getGreen(i) << 8) | lut.getBlue(i);
		}
		int[] out = new int[idx.length];
		for (int i = 0; i < idx.length; i++) out[i] = table[idx[i] & 0xff];
		return new ColorProcessor(w, h, out);
	}

	/** Collects intensities for percentiles: exact histograms for 8/16-bit, strided samples of finite floats. */
	static final class ValueSampler {

		private final int limitPerPlane;
		private long[] hist;
		private float[] samples = new float[0];
		private int count;

		ValueSampler(int bitDepth, int limitPerPlane) {
			this.limitPerPlane = limitPerPlane;
			if (bitDepth == 8 || bitDepth == 16) hist = new long[bitDepth == 8 ? 256 : 65536];
		}

		void add(ImageProcessor ip) {
			int n = ip.getPixelCount();
			if (hist != null) {
				if (ip.getPixels() instanceof short[] px) {
					for (short v : px) hist[v & 0xffff]++;
				}
				else {
					for (byte v : (byte[]) ip.getPixels()) hist[v & 0xff]++;
				}
				return;
			}
			int stride = Math.max(1, (n + limitPerPlane - 1) / limitPerPlane);
			float[] px = (float[]) ip.convertToFloat().getPixels();
			int need = count + (n + stride - 1) / stride;
			if (need > samples.length) samples = Arrays.copyOf(samples, Math.max(need, samples.length * 2));
			for (int i = 0; i < n; i += stride) {
				float v = px[i];
				if (Float.isFinite(v)) samples[count++] = v;
			}
		}

		/** [low, high] percentiles leaving saturation/2 % of values below and above; {0, 0} without any value. */
		double[] percentileRange(double saturation) {
			double lowFrac = saturation / 200.0;
			double highFrac = 1 - saturation / 200.0;
			if (hist != null) {
				long total = 0;
				for (long c : hist) total += c;
				if (total == 0) return new double[] {0, 0};
				return new double[] {histPercentile(lowFrac, total), histPercentile(highFrac, total)};
			}
			if (count == 0) return new double[] {0, 0};
			float[] v = Arrays.copyOf(samples, count);
			Arrays.sort(v);
			int lo = (int) Math.floor(lowFrac * (count - 1));
			int hi = (int) Math.ceil(highFrac * (count - 1));
			return new double[] {v[lo], v[hi]};
		}

		private double histPercentile(double frac, long total) {
			long target = (long) Math.floor(frac * (total - 1));
			long cum = 0;
			for (int i = 0; i < hist.length; i++) {
				cum += hist[i];
				if (cum > target) return i;
			}
			return hist.length - 1;
		}
	}
}
