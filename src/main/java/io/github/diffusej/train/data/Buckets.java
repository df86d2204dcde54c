package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The set of training resolutions, and which bucket each image goes to.
 *
 * <p><b>Enumeration</b> follows kohya's {@code make_bucket_resolutions} (sd-scripts {@code library/model_util.py}):
 * for every width from {@code minSide} to {@code maxSide} in steps of {@code step}, the largest height that is a
 * multiple of {@code step}, at most {@code maxSide} and keeps {@code width x height <= resolution^2}, kept when it is
 * at least {@code minSide}, together with its transpose; plus the square bucket {@code floor(resolution / step) *
 * step}. Sides here are always multiples of {@code step} ({@code minSide} is rounded up, {@code maxSide} down), where
 * kohya would step from an unrounded minimum.
 *
 * <p><b>Assignment</b>: an image of size w x h goes to the bucket whose aspect ratio is nearest on a log scale,
 * smallest {@code |log((w/h) / (bw/bh))|}; ties go to the larger area, then to the larger width. kohya's
 * {@code BucketManager.select_bucket} takes the smallest {@code |bw/bh - w/h|} and OneTrainer's mgds
 * {@code AspectBucketing} the smallest {@code |bh/bw - h/w|}; both are asymmetric (a tall image and its transposed
 * wide twin can land in buckets that are not each other's transpose). The log distance is symmetric, so transposing
 * an image transposes its bucket; it is computed exactly in integers (no rounding decides a tie). Like kohya (without
 * {@code bucket_no_upscale}) an image is then scaled up or down to cover its bucket.
 */
public final class Buckets {

	private final List<Bucket> buckets;

	private Buckets(List<Bucket> buckets) {
		if (buckets.isEmpty()) throw new IllegalArgumentException("no buckets");
		this.buckets = List.copyOf(new TreeSet<>(buckets));
	}

	/**
	 * Aspect-ratio buckets under the pixel-area budget {@code resolution^2} (see class comment).
	 *
	 * @param resolution the side of the square of the same area (512 for SD1.5)
	 * @param step every side is a multiple of this (64 for SD: VAE factor 8 x UNet downsampling 8)
	 * @param minSide shortest side (kohya's {@code min_bucket_reso}, default 256)
	 * @param maxSide longest side (kohya's {@code max_bucket_reso}, default 1024)
	 */
	public static Buckets enumerate(int resolution, int step, int minSide, int maxSide) {
		if (step <= 0) throw new IllegalArgumentException("bucket step must be positive, not " + step);
		if (resolution < step) throw new IllegalArgumentException("resolution " + resolution + " is below the bucket step " + step);
		int lo = ceilTo(Math.max(minSide, step), step);
		int hi = maxSide / step * step;
		int square = resolution / step * step;
		if (lo > hi) throw new IllegalArgumentException("no side is a multiple of " + step + " between " + minSide + " and " + maxSide);
		if (square < lo || square > hi) throw new IllegalArgumentException("the square bucket " + square + "x" + square
			+ " lies outside the side limits " + lo + ".." + hi + " (kohya requires min_bucket_reso <= resolution <= max_bucket_reso)");
		long area = (long) resolution * resolution;
		List<Bucket> out = new ArrayList<>();
		out.add(new Bucket(square, square));
		for (int w = lo; w <= hi; w += step) {
			long h = Math.min(hi, area / w / step * step);
			if (h >= lo) {
				out.add(new Bucket(w, (int) h));
				out.add(new Bucket((int) h, w));
			}
		}
		return new Buckets(out);
	}

	/** No bucketing: one square bucket, every image resized to cover it and cropped (diffusers' scripts). */
	public static Buckets square(int resolution, int step) {
		if (step <= 0 || resolution <= 0 || resolution % step != 0) throw new IllegalArgumentException("resolution "
			+ resolution + " must be a positive multiple of " + step + " (VAE factor x UNet downsampling)");
		return new Buckets(List.of(new Bucket(resolution, resolution)));
	}

	/** Given buckets (e.g. from a config file); each side must be a multiple of {@code step}. */
	public static Buckets of(List<Bucket> buckets, int step) {
		for (Bucket b : buckets) {
			if (b.width() % step != 0 || b.height() % step != 0) throw new IllegalArgumentException("bucket " + b
				+ " has a side that is not a multiple of " + step);
		}
		return new Buckets(buckets);
	}

	/** Sorted by width, then height. */
	public List<Bucket> list() {
		return buckets;
	}

	public int size() {
		return buckets.size();
	}

	/** The bucket of an image of this size (see class comment for the rule). */
	public Bucket nearest(int width, int height) {
		if (width <= 0 || height <= 0) throw new IllegalArgumentException("image sides must be positive: " + width + "x" + height);
		Bucket best = null;
		long bestNum = 0;
		long bestDen = 0;
		for (Bucket b : buckets) {
			// aspect error as the fraction num/den >= 1: max(w*bh, h*bw) / min(w*bh, h*bw)
			long p = (long) width * b.height();
			long q = (long) height * b.width();
			long num = Math.max(p, q);
			long den = Math.min(p, q);
			if (best == null) {
				best = b;
				bestNum = num;
				bestDen = den;
				continue;
			}
			int c = compareProducts(num, bestDen, bestNum, den); // num/den vs bestNum/bestDen
			if (c < 0 || c == 0 && (b.area() > best.area() || b.area() == best.area() && b.width() > best.width())) {
				best = b;
				bestNum = num;
				bestDen = den;
			}
		}
		return best;
	}

	public Bucket nearest(ImageSize size) {
		return nearest(size.width(), size.height());
	}

	/** The bucket of each size, in order. */
	public List<Bucket> assign(List<ImageSize> sizes) {
		List<Bucket> out = new ArrayList<>(sizes.size());
		for (ImageSize s : sizes) out.add(nearest(s));
		return out;
	}

	/**
	 * Reads every item's image size from its file header and assigns buckets.
	 *
	 * @throws DatasetException naming the first file whose size cannot be read
	 */
	public Assignment assignItems(List<DatasetItem> items) throws DatasetException {
		List<ImageSize> sizes = new ArrayList<>(items.size());
		for (DatasetItem it : items) sizes.add(ImageSize.read(it.image()));
		return new Assignment(sizes, assign(sizes));
	}

	/**
	 * Image sizes and their buckets, index for index with the items they were made from.
	 *
	 * @param sizes the stored size of each image
	 * @param buckets the bucket of each image
	 */
	public record Assignment(List<ImageSize> sizes, List<Bucket> buckets) {

		public Assignment {
			sizes = List.copyOf(sizes);
			buckets = List.copyOf(buckets);
			if (sizes.size() != buckets.size()) throw new IllegalArgumentException(sizes.size() + " sizes but " + buckets.size() + " buckets");
		}

		/** Images per bucket, for the run log (kohya prints the same table). */
		public Map<Bucket, Integer> counts() {
			Map<Bucket, Integer> m = new TreeMap<>();
			for (Bucket b : buckets) m.merge(b, 1, Integer::sum);
			return m;
		}
	}

	/** Sign of {@code a*b - c*d} for non-negative longs, exact (128-bit products). */
	static int compareProducts(long a, long b, long c, long d) {
		long hi1 = Math.multiplyHigh(a, b);
		long hi2 = Math.multiplyHigh(c, d);
		if (hi1 != hi2) return Long.compare(hi1, hi2);
		return Long.compareUnsigned(a * b, c * d);
	}

	private static int ceilTo(int v, int step) {
		return (v + step - 1) / step * step;
	}

	@Override
	public String toString() {
		return buckets.toString();
	}
}
