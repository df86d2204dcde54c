package io.github.diffusej.train;

import io.github.diffusej.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The loss of a training run as it goes: the raw loss of each step, its smoothed line and the validation losses,
 * drawn as a chart with axes, ticks and a legend (Java2D only, so the core can write {@code loss.png} into a run
 * folder and the Fiji training window shows the same picture). Thread-safe: the training thread adds points while
 * a window renders.
 *
 * <p>The y range follows the bulk of the raw losses (the 1st to 99th percentile, widened a little), so a few
 * outliers in the first steps do not flatten the curve; points outside are drawn at the border.
 */
public final class LossCurve {

	/** The size written by {@link #writePng(Path)}. */
	public static final int WIDTH = 800, HEIGHT = 500;

	private static final Color RAW = new Color(0x1f, 0x77, 0xb4, 70);
	private static final Color SMOOTHED = new Color(0x1f, 0x77, 0xb4);
	private static final Color VALIDATION = new Color(0xd6, 0x27, 0x28);
	private static final Color AXES = new Color(0x33, 0x33, 0x33);
	private static final Color GRID = new Color(0xe5, 0xe5, 0xe5);

	private final String title;
	private int totalSteps;
	private int[] steps = new int[256];
	private float[] raw = new float[256];
	private float[] smooth = new float[256];
	private int n;
	private int[] valSteps = new int[16];
	private float[] val = new float[16];
	private int nVal;

	/** @param title what the chart shows, e.g. "LoRA: loss" */
	public LossCurve(String title) {
		this.title = title;
	}

	/** The x axis runs to this many steps (0: to the last point). */
	public synchronized void setTotalSteps(int totalSteps) {
		this.totalSteps = Math.max(0, totalSteps);
	}

	/** One training step's loss and its smoothed value; non-finite values are kept out of the chart. */
	public synchronized void add(int step, double loss, double smoothed) {
		if (n == steps.length) {
			steps = Arrays.copyOf(steps, 2 * n);
			raw = Arrays.copyOf(raw, 2 * n);
			smooth = Arrays.copyOf(smooth, 2 * n);
		}
		steps[n] = step;
		raw[n] = (float) loss;
		smooth[n] = (float) smoothed;
		n++;
	}

	/** A validation loss at a step. */
	public synchronized void addValidation(int step, double loss) {
		if (nVal == valSteps.length) {
			valSteps = Arrays.copyOf(valSteps, 2 * nVal);
			val = Arrays.copyOf(val, 2 * nVal);
		}
		valSteps[nVal] = step;
		val[nVal] = (float) loss;
		nVal++;
	}

	/** Everything the chart holds, copied. */
	public synchronized Snapshot snapshot() {
		return new Snapshot(title, totalSteps, Arrays.copyOf(steps, n), Arrays.copyOf(raw, n), Arrays.copyOf(smooth, n),
			Arrays.copyOf(valSteps, nVal), Arrays.copyOf(val, nVal));
	}

	/**
	 * The points of a chart.
	 *
	 * @param steps the step of each raw point
	 * @param loss raw losses
	 * @param smoothed smoothed losses
	 * @param validationSteps the step of each validation loss
	 * @param validation validation losses
	 */
	public record Snapshot(String title, int totalSteps, int[] steps, float[] loss, float[] smoothed,
		int[] validationSteps, float[] validation) {

		public int size() {
			return steps.length;
		}
	}

	/** Writes the chart at {@value #WIDTH}x{@value #HEIGHT} as a PNG, atomically. */
	public void writePng(Path file) throws IOException {
		BufferedImage img = render(WIDTH, HEIGHT);
		AtomicFiles.writeStream(file, out -> {
			if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer available");
		});
	}

	/** Draws the chart. */
	public BufferedImage render(int width, int height) {
		Snapshot s = snapshot();
		BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = img.createGraphics();
		try {
			draw(g, s, width, height);
		}
		finally {
			g.dispose();
		}
		return img;
	}

	private static void draw(Graphics2D g, Snapshot s, int width, int height) {
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, width, height);
		int fontSize = Math.max(11, Math.min(16, height / 32));
		Font font = new Font(Font.SANS_SERIF, Font.PLAIN, fontSize);
		g.setFont(font);
		FontMetrics fm = g.getFontMetrics();
		double[] y = yRange(s);
		double[] yTicks = ticks(y[0], y[1], 6);
		int maxX = Math.max(1, s.totalSteps() > 0 ? s.totalSteps() : lastStep(s));
		double[] xTicks = ticks(0, maxX, 8);
		int labelWidth = 0;
		for (double t : yTicks) labelWidth = Math.max(labelWidth, fm.stringWidth(fmt(t, yTicks)));
		int lastLabel = xTicks.length == 0 ? 0 : fm.stringWidth(fmt(xTicks[xTicks.length - 1], xTicks));
		int left = labelWidth + fm.getHeight() + 16, right = Math.max(16, lastLabel / 2 + 6);
		int top = fm.getHeight() * 2 + 12, bottom = fm.getHeight() * 2 + 14;
		int pw = width - left - right, ph = height - top - bottom;
		if (pw < 20 || ph < 20) return;
		Axis ax = new Axis(left, top, pw, ph, maxX, y[0], y[1]);

		g.setColor(GRID);
		for (double t : yTicks) g.drawLine(left, ax.py(t), left + pw, ax.py(t));
		for (double t : xTicks) g.drawLine(ax.px(t), top, ax.px(t), top + ph);
		g.setColor(AXES);
		g.drawRect(left, top, pw, ph);
		for (double t : yTicks) {
			String l = fmt(t, yTicks);
			g.drawLine(left - 4, ax.py(t), left, ax.py(t));
			g.drawString(l, left - 6 - fm.stringWidth(l), ax.py(t) + fm.getAscent() / 2 - 1);
		}
		for (double t : xTicks) {
			String l = fmt(t, xTicks);
			g.drawLine(ax.px(t), top + ph, ax.px(t), top + ph + 4);
			g.drawString(l, ax.px(t) - fm.stringWidth(l) / 2, top + ph + 6 + fm.getAscent());
		}
		String xLabel = "step";
		g.drawString(xLabel, left + (pw - fm.stringWidth(xLabel)) / 2, height - 6);
		Graphics2D rot = (Graphics2D) g.create();
		rot.rotate(-Math.PI / 2);
		rot.drawString("loss", -(top + (ph + fm.stringWidth("loss")) / 2), fm.getAscent() + 2);
		rot.dispose();
		g.setFont(font.deriveFont(Font.BOLD));
		g.drawString(s.title(), left, fm.getAscent() + 4);
		g.setFont(font);

		g.setClip(left + 1, top + 1, pw - 1, ph - 1);
		drawRaw(g, s, ax);
		g.setColor(SMOOTHED);
		g.setStroke(new BasicStroke(2f));
		g.draw(line(s.steps(), s.smoothed(), ax));
		g.setColor(VALIDATION);
		g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {5, 4}, 0));
		g.draw(line(s.validationSteps(), s.validation(), ax));
		g.setStroke(new BasicStroke(1.5f));
		for (int i = 0; i < s.validation().length; i++) {
			if (!Float.isFinite(s.validation()[i])) continue;
			int px = ax.px(s.validationSteps()[i]), py = ax.py(s.validation()[i]);
			g.fillOval(px - 4, py - 4, 8, 8);
		}
		g.setClip(null);
		legend(g, fm, s, left + pw, top);
	}

	/** Raw points: one dot per step, or, with more steps than pixels, one min-max stroke per pixel column. */
	private static void drawRaw(Graphics2D g, Snapshot s, Axis ax) {
		g.setColor(RAW);
		int[] st = s.steps();
		float[] v = s.loss();
		if (st.length <= ax.w) {
			for (int i = 0; i < st.length; i++)
				if (Float.isFinite(v[i])) g.fillOval(ax.px(st[i]) - 2, ax.py(v[i]) - 2, 4, 4);
			return;
		}
		int col = -1, lo = 0, hi = 0;
		for (int i = 0; i <= st.length; i++) {
			int c = i < st.length ? ax.px(st[i]) : Integer.MAX_VALUE;
			if (c != col) {
				if (col >= 0) g.drawLine(col, lo, col, hi);
				col = c;
				lo = Integer.MAX_VALUE;
				hi = Integer.MIN_VALUE;
			}
			if (i < st.length && Float.isFinite(v[i])) {
				int py = ax.py(v[i]);
				lo = Math.min(lo, py);
				hi = Math.max(hi, py);
			}
			if (lo == Integer.MAX_VALUE) col = -1; // nothing finite in this column yet
		}
	}

	private static Path2D line(int[] xs, float[] ys, Axis ax) {
		Path2D p = new Path2D.Float();
		boolean pen = false;
		for (int i = 0; i < xs.length; i++) {
			if (!Float.isFinite(ys[i])) {
				pen = false;
				continue;
			}
			if (pen) p.lineTo(ax.px(xs[i]), ax.py(ys[i]));
			else p.moveTo(ax.px(xs[i]), ax.py(ys[i]));
			pen = true;
		}
		return p;
	}

	private static void legend(Graphics2D g, FontMetrics fm, Snapshot s, int right, int top) {
		String[] names = {"loss", "smoothed", "validation"};
		Color[] colours = {SMOOTHED, SMOOTHED, VALIDATION};
		int x = right;
		int y = top - 8;
		for (int i = names.length - 1; i >= 0; i--) {
			if (i == 2 && s.validation().length == 0) continue;
			x -= fm.stringWidth(names[i]) + 30;
			g.setColor(colours[i]);
			if (i == 0) g.fillOval(x, y - fm.getAscent() / 2 - 3, 6, 6);
			else if (i == 1) {
				g.setStroke(new BasicStroke(2f));
				g.drawLine(x - 4, y - fm.getAscent() / 2, x + 12, y - fm.getAscent() / 2);
			}
			else g.fillOval(x, y - fm.getAscent() / 2 - 4, 8, 8);
			g.setColor(AXES);
			g.drawString(names[i], x + 18, y);
		}
	}

	private record Axis(int x, int y, int w, int h, int maxStep, double lo, double hi) {

		int px(double step) {
			return x + (int) Math.round(step / maxStep * w);
		}

		int py(double v) {
			double c = Math.max(lo, Math.min(hi, v));
			return y + h - (int) Math.round((c - lo) / (hi - lo) * h);
		}
	}

	private static int lastStep(Snapshot s) {
		int m = 0;
		for (int st : s.steps()) m = Math.max(m, st);
		for (int st : s.validationSteps()) m = Math.max(m, st);
		return m;
	}

	/** The y range: the 1st-99th percentile of the raw losses with the smoothed and validation values, plus 5 %. */
	static double[] yRange(Snapshot s) {
		float[] finite = finite(s.loss());
		double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
		if (finite.length > 0) {
			Arrays.sort(finite);
			lo = finite[(int) Math.floor(0.01 * (finite.length - 1))];
			hi = finite[(int) Math.ceil(0.99 * (finite.length - 1))];
		}
		for (float v : finite(s.smoothed())) {
			lo = Math.min(lo, v);
			hi = Math.max(hi, v);
		}
		for (float v : finite(s.validation())) {
			lo = Math.min(lo, v);
			hi = Math.max(hi, v);
		}
		if (!Double.isFinite(lo)) return new double[] {0, 1};
		if (hi - lo < 1e-9) {
			double pad = Math.max(Math.abs(lo) * 0.1, 1e-3);
			return new double[] {lo - pad, hi + pad};
		}
		double pad = 0.05 * (hi - lo);
		return new double[] {lo - pad, hi + pad};
	}

	private static float[] finite(float[] v) {
		float[] out = new float[v.length];
		int k = 0;
		for (float x : v) if (Float.isFinite(x)) out[k++] = x;
		return Arrays.copyOf(out, k);
	}

	/** "Nice" tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi], at most about {@code count}. */
	static double[] ticks(double lo, double hi, int count) {
		double span = hi - lo;
		if (!(span > 0)) return new double[] {lo};
		double raw = span / Math.max(1, count);
		double mag = Math.pow(10, Math.floor(Math.log10(raw)));
		double ratio = raw / mag;
		double step = (ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10) * mag; // at most about count ticks
		double first = Math.ceil(lo / step) * step;
		int n = (int) Math.floor((hi - first) / step + 1e-9) + 1;
		double[] t = new double[Math.max(n, 0)];
		for (int i = 0; i < t.length; i++) t[i] = first + i * step;
		return t;
	}

	/** A tick label with as many decimals as the tick spacing needs. */
	static String fmt(double v, double[] ticks) {
		double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
		int decimals = step >= 1 || step == 0 ? 0 : (int) Math.ceil(-Math.log10(step) - 1e-9);
		if (Math.abs(v) < step * 1e-6) v = 0;
		return String.format(Locale.ROOT, "%." + Math.min(decimals, 8) + "f", v);
	}
}
