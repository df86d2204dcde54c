package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss chart: its data, its ranges and ticks, and a PNG with the curves where the data says. */
class LossCurveTest {

	@TempDir
	Path tmp;

	/** A decaying noisy loss with an EMA, validation every 50 steps, as a run reports them. */
	static LossCurve run(int steps) {
		LossCurve c = new LossCurve("LoRA: loss");
		c.setTotalSteps(steps);
		Random r = new Random(1);
		double ema = Double.NaN;
		for (int s = 1; s <= steps; s++) {
			double loss = 0.05 + 0.2 * Math.exp(-s / 150.0) + 0.03 * r.nextGaussian();
			ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
			c.add(s, loss, ema);
			if (s % 50 == 0) c.addValidation(s, 0.06 + 0.18 * Math.exp(-s / 150.0));
		}
		return c;
	}

	@Test
	void keepsEveryPointInOrder() {
		LossCurve c = new LossCurve("t");
		for (int i = 1; i <= 1000; i++) c.add(i, i, i / 2.0);
		c.addValidation(500, 3);
		LossCurve.Snapshot s = c.snapshot();
		assertEquals(1000, s.size());
		assertEquals(1000, s.steps()[999]);
		assertEquals(500f, s.smoothed()[999]);
		assertArrayEquals(new int[] {500}, s.validationSteps());
	}

	@Test
	void ticksAreRoundAndInsideTheRange() {
		assertArrayEquals(new double[] {0, 200, 400, 600, 800, 1000}, LossCurve.ticks(0, 1000, 8), 1e-9);
		double[] t = LossCurve.ticks(0.043, 0.287, 6);
		assertEquals(0.05, t[0], 1e-12);
		assertEquals(0.05, t[1] - t[0], 1e-12);
		assertTrue(t[t.length - 1] <= 0.287);
		assertEquals("0.05", LossCurve.fmt(t[0], t));
		assertEquals("400", LossCurve.fmt(400, LossCurve.ticks(0, 1000, 8)));
	}

	@Test
	void outliersDoNotFlattenTheCurve() {
		LossCurve c = new LossCurve("t");
		for (int i = 1; i <= 500; i++) c.add(i, i == 1 ? 50 : 0.1 + 0.001 * (i % 10), 0.1);
		c.add(501, Double.NaN, Double.NaN);
		double[] y = LossCurve.yRange(c.snapshot());
		assertTrue(y[1] < 1, "the first step's 50 is left out of the range: " + y[1]);
		assertTrue(y[0] < 0.1 && y[0] > 0.05, "" + y[0]);
	}

	@Test
	void pngShowsTheCurvesWhereTheDataSays() throws Exception {
		Path png = tmp.resolve("run/loss.png");
		run(1000).writePng(png);
		BufferedImage img = ImageIO.read(png.toFile());
		assertEquals(LossCurve.WIDTH, img.getWidth());
		assertEquals(LossCurve.HEIGHT, img.getHeight());
		// the smoothed line is blue and falls: high on the left, low on the right
		int leftY = topmost(img, 120, 0x1f77b4), rightY = topmost(img, 760, 0x1f77b4);
		assertTrue(leftY > 0 && rightY > leftY, "falling curve: " + leftY + " -> " + rightY);
		assertTrue(count(img, 0xd62728) > 50, "validation points in red");
		assertTrue(count(img, 0x333333) > 500, "axes, ticks and labels");
		try (Stream<Path> s = Files.list(tmp.resolve("run"))) {
			assertEquals(1, s.count(), "written atomically: no temporary file left");
		}
		// a run of 200 000 steps draws as quickly: one stroke per pixel column
		LossCurve big = run(200_000);
		long t0 = System.nanoTime();
		big.render(800, 500);
		assertTrue((System.nanoTime() - t0) / 1e9 < 20, "rendering a long run");
	}

	@Test
	void emptyAndSmallChartsStillRender() {
		assertEquals(800, new LossCurve("empty").render(800, 500).getWidth());
		LossCurve one = new LossCurve("one");
		one.add(1, 0.2, 0.2);
		assertEquals(40, one.render(60, 40).getHeight());
	}

	static int topmost(BufferedImage img, int x, int rgb) {
		for (int y = 0; y < img.getHeight(); y++) if (near(img.getRGB(x, y), rgb)) return y;
		return -1;
	}

	static int count(BufferedImage img, int rgb) {
		int n = 0;
		for (int y = 0; y < img.getHeight(); y++)
			for (int x = 0; x < img.getWidth(); x++) if (near(img.getRGB(x, y), rgb)) n++;
		return n;
	}

	static boolean near(int a, int b) {
		for (int s = 0; s < 24; s += 8) if (Math.abs(((a >> s) & 255) - ((b >> s) & 255)) > 12) return false;
		return true;
	}
}
