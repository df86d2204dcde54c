package io.github.diffusej.model;

/**
 * An independent double-precision reference for LoRA/DoRA on one linear or conv layer, written with plain loops
 * from the definitions (Hu et al. 2021; Liu et al. 2024 with kohya's and PEFT's norm axes), forward and
 * gradients. A linear layer is a conv with k = 1 on a 1x1 image. Weights are flattened [out][in·k·k]
 * (row-major over in, kh, kw), like the tensors.
 */
final class AdapterReference {

	final int out, in, k, stride, pad;

	AdapterReference(int out, int in, int k, int stride, int pad) {
		this.out = out;
		this.in = in;
		this.k = k;
		this.stride = stride;
		this.pad = pad;
	}

	int cols() {
		return in * k * k;
	}

	/** s·up@down, [out][in·k·k]. */
	double[][] delta(double[] down, double[] up, int r, double s) {
		double[][] d = new double[out][cols()];
		for (int o = 0; o < out; o++)
			for (int j = 0; j < cols(); j++) {
				double acc = 0;
				for (int q = 0; q < r; q++) acc += up[o * r + q] * down[q * cols() + j];
				d[o][j] = s * acc;
			}
		return d;
	}

	/** The channel an element's norm groups it by: its input channel (INPUT axis) or its output row. */
	int group(boolean inputAxis, int o, int j) {
		return inputAxis ? j / (k * k) : o;
	}

	double[] norms(double[][] v, boolean inputAxis) {
		double[] n = new double[inputAxis ? in : out];
		for (int o = 0; o < out; o++)
			for (int j = 0; j < cols(); j++) n[group(inputAxis, o, j)] += v[o][j] * v[o][j];
		for (int g = 0; g < n.length; g++) n[g] = Math.sqrt(n[g]);
		return n;
	}

	/** DoRA's D(W) = V·m/||V||, V = W + delta. */
	double[][] dora(double[][] w, double[][] delta, double[] mag, boolean inputAxis) {
		double[][] v = add(w, delta, 1);
		double[] n = norms(v, inputAxis);
		double[][] d = new double[out][cols()];
		for (int o = 0; o < out; o++)
			for (int j = 0; j < cols(); j++) {
				int g = group(inputAxis, o, j);
				d[o][j] = v[o][j] * (mag[g] / n[g]);
			}
		return d;
	}

	static double[][] add(double[][] a, double[][] b, double wb) {
		double[][] c = new double[a.length][a[0].length];
		for (int i = 0; i < a.length; i++)
			for (int j = 0; j < a[0].length; j++) c[i][j] = a[i][j] + wb * b[i][j];
		return c;
	}

	/** a + w·(b − a). */
	static double[][] blend(double[][] a, double[][] b, double w) {
		double[][] c = new double[a.length][a[0].length];
		for (int i = 0; i < a.length; i++)
			for (int j = 0; j < a[0].length; j++) c[i][j] = a[i][j] + w * (b[i][j] - a[i][j]);
		return c;
	}

	int outSize(int size) {
		return (size + 2 * pad - k) / stride + 1;
	}

	/** y = conv(x, W) + b; x [n][in][h][w] flattened, returns [n][out][h'][w'] flattened. */
	double[] forward(double[] x, int n, int h, int wd, double[][] w, double[] b) {
		int ho = outSize(h), wo = outSize(wd);
		double[] y = new double[n * out * ho * wo];
		for (int s = 0; s < n; s++)
			for (int o = 0; o < out; o++)
				for (int p = 0; p < ho; p++)
					for (int q = 0; q < wo; q++) {
						double acc = b[o];
						for (int c = 0; c < in; c++)
							for (int a = 0; a < k; a++)
								for (int e = 0; e < k; e++) {
									int yy = p * stride + a - pad, xx = q * stride + e - pad;
									if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
									acc += x[((s * in + c) * h + yy) * wd + xx] * w[o][(c * k + a) * k + e];
								}
						y[((s * out + o) * ho + p) * wo + q] = acc;
					}
		return y;
	}

	/** dL/dW for L = Σ G·y. */
	double[][] weightGradient(double[] x, int n, int h, int wd, double[] g) {
		int ho = outSize(h), wo = outSize(wd);
		double[][] gw = new double[out][cols()];
		for (int s = 0; s < n; s++)
			for (int o = 0; o < out; o++)
				for (int p = 0; p < ho; p++)
					for (int q = 0; q < wo; q++) {
						double go = g[((s * out + o) * ho + p) * wo + q];
						for (int c = 0; c < in; c++)
							for (int a = 0; a < k; a++)
								for (int e = 0; e < k; e++) {
									int yy = p * stride + a - pad, xx = q * stride + e - pad;
									if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
									gw[o][(c * k + a) * k + e] += go * x[((s * in + c) * h + yy) * wd + xx];
								}
					}
		return gw;
	}

	/** dL/dx for L = Σ G·y. */
	double[] inputGradient(int n, int h, int wd, double[][] w, double[] g) {
		int ho = outSize(h), wo = outSize(wd);
		double[] gx = new double[n * in * h * wd];
		for (int s = 0; s < n; s++)
			for (int o = 0; o < out; o++)
				for (int p = 0; p < ho; p++)
					for (int q = 0; q < wo; q++) {
						double go = g[((s * out + o) * ho + p) * wo + q];
						for (int c = 0; c < in; c++)
							for (int a = 0; a < k; a++)
								for (int e = 0; e < k; e++) {
									int yy = p * stride + a - pad, xx = q * stride + e - pad;
									if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
									gx[((s * in + c) * h + yy) * wd + xx] += go * w[o][(c * k + a) * k + e];
								}
					}
		return gx;
	}

	/** Gradients of one DoRA layer {@code W' = W + wt·(D(W) − W)}: down, up, magnitude, in that order. */
	double[][] doraGradients(double[][] w, double[] down, double[] up, int r, double s, double[] mag,
		boolean inputAxis, double wt, double[][] gradWPrime, boolean detachNorm)
	{
		double[][] v = add(w, delta(down, up, r, s), 1);
		double[] nrm = norms(v, inputAxis);
		int groups = nrm.length;
		double[] dotGV = new double[groups]; // Σ_e Γ'_e V_e per group
		for (int o = 0; o < out; o++)
			for (int j = 0; j < cols(); j++) dotGV[group(inputAxis, o, j)] += wt * gradWPrime[o][j] * v[o][j];
		double[][] dv = new double[out][cols()];
		for (int o = 0; o < out; o++)
			for (int j = 0; j < cols(); j++) {
				int g = group(inputAxis, o, j);
				double gp = wt * gradWPrime[o][j];
				dv[o][j] = detachNorm ? gp * mag[g] / nrm[g]
					: mag[g] / nrm[g] * (gp - v[o][j] * dotGV[g] / (nrm[g] * nrm[g]));
			}
		double[] gMag = new double[groups];
		for (int g = 0; g < groups; g++) gMag[g] = dotGV[g] / nrm[g];
		double[] gUp = new double[out * r], gDown = new double[r * cols()];
		for (int o = 0; o < out; o++)
			for (int q = 0; q < r; q++) {
				double acc = 0;
				for (int j = 0; j < cols(); j++) acc += dv[o][j] * down[q * cols() + j];
				gUp[o * r + q] = s * acc;
			}
		for (int q = 0; q < r; q++)
			for (int j = 0; j < cols(); j++) {
				double acc = 0;
				for (int o = 0; o < out; o++) acc += up[o * r + q] * dv[o][j];
				gDown[q * cols() + j] = s * acc;
			}
		return new double[][] {gDown, gUp, gMag};
	}

	static double[][] reshape(double[] flat, int rows, int cols) {
		double[][] m = new double[rows][cols];
		for (int i = 0; i < rows; i++) System.arraycopy(flat, i * cols, m[i], 0, cols);
		return m;
	}

	static double maxAbsDiff(double[] a, double[] b) {
		double m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
		return m;
	}

	static double maxAbs(double[] a) {
		double m = 0;
		for (double v : a) m = Math.max(m, Math.abs(v));
		return m;
	}

	static double[] flat(double[][] m) {
		double[] f = new double[m.length * m[0].length];
		for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
		return f;
	}
}
