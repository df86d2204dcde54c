package io.github.diffusej.train.data;

/**
 * Separable resizing of only the window that is kept: the image is scaled to {@code outW x outH} and the
 * {@code winW x winH} window at ({@code left}, {@code top}) is computed, nothing else.
 *
 * <p>Filters, per axis: shrinking averages areas (each output pixel is the mean of the source area it covers, with
 * partial pixels weighted by their covered fraction: OpenCV's {@code INTER_AREA}, PIL's {@code BOX}); enlarging is
 * bilinear with pixel centres at half-integers and edge pixels repeated (OpenCV {@code INTER_LINEAR}, PyTorch
 * {@code align_corners=False}); an unchanged side is copied. The reference scripts use PIL bicubic or Lanczos (diffusers)
 * and OpenCV area/Lanczos (kohya); area averaging is what a microscope image needs when shrunk (no ringing, no
 * aliasing of fine texture), and bilinear enlarging adds no overshoot. Weights come from exact integer arithmetic, so
 * the result is the same on every machine.
 */
final class Resampler {

	private Resampler() {}

	/** Output {@code o} of one axis is {@code sum_k weight[o][k] * src[first[o] + k]}. */
	record Axis(int[] first, int[] taps, float[][] weights) {

		int minSource() {
			int m = Integer.MAX_VALUE;
			for (int f : first) m = Math.min(m, f);
			return m;
		}

		int maxSourceExclusive() {
			int m = 0;
			for (int o = 0; o < first.length; o++) m = Math.max(m, first[o] + taps[o]);
			return m;
		}
	}

	/** Weights for outputs {@code start .. start+len-1} of an axis scaled from {@code n} to {@code m} pixels. */
	static Axis axis(int n, int m, int start, int len) {
		int[] first = new int[len];
		int[] taps = new int[len];
		float[][] w = new float[len][];
		for (int k = 0; k < len; k++) {
			int o = start + k;
			if (m == n) {
				first[k] = o;
				taps[k] = 1;
				w[k] = new float[] {1f};
			}
			else if (m < n) {
				// output o covers [o*n, (o+1)*n) in units of 1/m source pixels; source i covers [i*m, (i+1)*m)
				long x0 = (long) o * n;
				long x1 = (long) (o + 1) * n;
				int i0 = (int) (x0 / m);
				int i1 = (int) Math.min(n, (x1 + m - 1) / m);
				first[k] = i0;
				taps[k] = i1 - i0;
				w[k] = new float[i1 - i0];
				for (int i = i0; i < i1; i++) {
					long overlap = Math.min((long) (i + 1) * m, x1) - Math.max((long) i * m, x0);
					w[k][i - i0] = (float) ((double) overlap / n);
				}
			}
			else {
				// source coordinate of the output centre: x = ((2o+1) n - m) / (2m), clamped to [0, n-1]
				long num = (long) (2 * o + 1) * n - m;
				long den = 2L * m;
				int i0;
				double f;
				if (num <= 0) {
					i0 = 0;
					f = 0;
				}
				else {
					i0 = (int) (num / den);
					f = (double) (num % den) / den;
					if (i0 >= n - 1) {
						i0 = n - 1;
						f = 0;
					}
				}
				first[k] = i0;
				if (f == 0) {
					taps[k] = 1;
					w[k] = new float[] {1f};
				}
				else {
					taps[k] = 2;
					w[k] = new float[] {(float) (1 - f), (float) f};
				}
			}
		}
		return new Axis(first, taps, w);
	}

	/**
	 * The window of the scaled image, three planes [winH * winW] in the source's range, mirrored left-right when
	 * {@code flip}.
	 */
	static float[][] window(RgbSource src, int outW, int outH, int left, int top, int winW, int winH, boolean flip) {
		Axis ax = axis(src.width(), outW, left, winW);
		Axis ay = axis(src.height(), outH, top, winH);
		int y0 = ay.minSource();
		int y1 = ay.maxSourceExclusive();
		int rows = y1 - y0;
		float[][] tmp = new float[3][rows * winW];
		int w = src.width();
		float[] r = new float[w];
		float[] g = new float[w];
		float[] b = new float[w];
		float[][] in = {r, g, b};
		for (int y = y0; y < y1; y++) {
			src.row(y, r, g, b);
			int base = (y - y0) * winW;
			for (int c = 0; c < 3; c++) {
				float[] s = in[c];
				float[] t = tmp[c];
				for (int x = 0; x < winW; x++) {
					int f = ax.first[x];
					float[] wt = ax.weights[x];
					float acc = 0;
					for (int k = 0; k < wt.length; k++) acc += wt[k] * s[f + k];
					t[base + x] = acc;
				}
			}
		}
		float[][] out = new float[3][winW * winH];
		for (int c = 0; c < 3; c++) {
			float[] t = tmp[c];
			float[] o = out[c];
			for (int y = 0; y < winH; y++) {
				int f = ay.first[y] - y0;
				float[] wt = ay.weights[y];
				int rowOut = y * winW;
				for (int x = 0; x < winW; x++) {
					float acc = 0;
					for (int k = 0; k < wt.length; k++) acc += wt[k] * t[(f + k) * winW + x];
					o[rowOut + (flip ? winW - 1 - x : x)] = acc;
				}
			}
		}
		return out;
	}
}
