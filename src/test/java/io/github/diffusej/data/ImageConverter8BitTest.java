package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;

import java.awt.Color;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.github.diffusej.data.BuildSettings.Normalization;
import io.github.diffusej.data.BuildSettings.NormalizeMode;

class ImageConverter8BitTest {

	private static int[] rgbAt(ColorProcessor cp, int i) {
		int p = ((int[]) cp.getPixels())[i];
		return new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
	}

	private static double meanGrey(ColorProcessor cp) {
		double s = 0;
		for (int p : (int[]) cp.getPixels()) s += p & 0xff;
		return s / cp.getPixelCount();
	}

	@Test
	void narrow16BitRangeIsStretchedToFullScale() {
		// values 1000..1100 only: a plain 16-bit -> 8-bit cast would give an almost black image
		short[] px = new short[101 * 10];
		for (int i = 0; i < px.length; i++) px[i] = (short) (1000 + i % 101);
		ImagePlus imp = new ImagePlus("narrow", new ShortProcessor(101, 10, px, null));
		var conv = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.PER_IMAGE, 0), List.of(1), List.of(1));
		ColorProcessor cp = conv.plane(1, 1, 1);
		assertArrayEquals(new int[] {0, 0, 0}, rgbAt(cp, 0));
		assertArrayEquals(new int[] {255, 255, 255}, rgbAt(cp, 100));
		assertEquals(127.5, rgbAt(cp, 50)[0], 0.51); // 50/100*255 = 127.5
		assertEquals(127.5, meanGrey(cp), 0.6);
	}

	@Test
	void saturationClipsTheTails() {
		short[] px = new short[1000];
		for (int i = 0; i < px.length; i++) px[i] = (short) i;
		ImagePlus imp = new ImagePlus("ramp", new ShortProcessor(1000, 1, px, null));
		var conv = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.PER_IMAGE, 10), List.of(1), List.of(1));
		double[] range = conv.range(1, imp.getProcessor());
		// 5 % below, 5 % above
		assertEquals(49, range[0], 1);
		assertEquals(950, range[1], 1);
	}

	@Test
	void nanAndInfinityAreMappedAndCounted() {
		float[] px = new float[100];
		for (int i = 0; i < px.length; i++) px[i] = i * 0.01f;
		px[3] = Float.NaN;
		px[4] = Float.POSITIVE_INFINITY;
		px[5] = Float.NEGATIVE_INFINITY;
		ImagePlus imp = new ImagePlus("nan", new FloatProcessor(10, 10, px));
		var conv = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.PER_IMAGE, 0), List.of(1), List.of(1));
		ColorProcessor cp = conv.plane(1, 1, 1);
		assertEquals(0, rgbAt(cp, 3)[0]);
		assertEquals(255, rgbAt(cp, 4)[0]);
		assertEquals(0, rgbAt(cp, 5)[0]);
		assertEquals(255, rgbAt(cp, 99)[0]); // finite maximum 0.99 -> 255: NaN/Inf did not spoil the range
		assertEquals(0, rgbAt(cp, 0)[0]);
		assertEquals(3, conv.nonFinitePixels());
	}

	@Test
	void lutIsApplied() {
		ImagePlus imp = new ImagePlus("green", Synthetic.gray8(32, 32, 1));
		imp.getProcessor().setLut(LUT.createLutFromColor(Color.GREEN));
		var conv = new ImageConverter8Bit(imp, Normalization.defaults(), List.of(1), List.of(1));
		ColorProcessor cp = conv.plane(1, 1, 1);
		int raw = imp.getProcessor().get(0);
		assertArrayEquals(new int[] {0, raw, 0}, rgbAt(cp, 0));
	}

	@Test
	void compositeAddsChannelsThroughTheirLuts() {
		CompositeImage ci = Synthetic.composite3("comp", 16, 16);
		var conv = new ImageConverter8Bit(ci, Normalization.defaults(), List.of(1), List.of(1));
		ColorProcessor cp = conv.composite(List.of(1, 2, 3), 1, 1);
		for (int i : new int[] {0, 17, 255}) {
			int r = ci.getStack().getProcessor(1).get(i);
			int g = ci.getStack().getProcessor(2).get(i);
			int b = ci.getStack().getProcessor(3).get(i);
			assertArrayEquals(new int[] {r, g, b}, rgbAt(cp, i));
		}
		ColorProcessor rg = conv.composite(List.of(1, 2), 1, 1);
		assertEquals(0, rgbAt(rg, 5)[2]);
	}

	@Test
	void perStackKeepsBrightnessDifferencesBetweenPlanes() {
		ImageStack st = new ImageStack(100, 1);
		short[] a = new short[100];
		short[] b = new short[100];
		for (int i = 0; i < 100; i++) {
			a[i] = (short) i;
			b[i] = (short) (2 * i);
		}
		st.addSlice("dim", new ShortProcessor(100, 1, a, null));
		st.addSlice("bright", new ShortProcessor(100, 1, b, null));
		ImagePlus imp = new ImagePlus("s", st);
		var perStack = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.PER_STACK, 0), List.of(1, 2),
			List.of(1));
		var perImage = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.PER_IMAGE, 0), List.of(1, 2),
			List.of(1));
		double dimStack = meanGrey(perStack.plane(1, 1, 1));
		double brightStack = meanGrey(perStack.plane(1, 2, 1));
		assertEquals(2, brightStack / dimStack, 0.05);
		assertEquals(meanGrey(perImage.plane(1, 1, 1)), meanGrey(perImage.plane(1, 2, 1)), 0.5);
	}

	@Test
	void displayRangeIsWhatTheUserSees() {
		ImagePlus imp = new ImagePlus("d", Synthetic.gray16(50, 50, 3, 0, 4000));
		imp.setDisplayRange(1000, 2000);
		var conv = new ImageConverter8Bit(imp, new Normalization(NormalizeMode.DISPLAY_RANGE, 0), List.of(1), List.of(1));
		ColorProcessor cp = conv.plane(1, 1, 1);
		for (int i = 0; i < 2500; i += 97) {
			int v = imp.getProcessor().get(i);
			int expect = v <= 1000 ? 0 : v >= 2000 ? 255 : (int) Math.round((v - 1000) * 255.0 / 1000);
			assertEquals(expect, rgbAt(cp, i)[1], "pixel " + i + " value " + v);
		}
	}

	@Test
	void rgbPassesUnchanged() {
		ColorProcessor src = Synthetic.rgb(20, 20, 9);
		ImagePlus imp = new ImagePlus("rgb", src);
		ColorProcessor cp = new ImageConverter8Bit(imp, Normalization.defaults(), List.of(1), List.of(1)).plane(1, 1, 1);
		assertArrayEquals((int[]) src.getPixels(), (int[]) cp.getPixels());
		assertTrue(cp != src);
	}
}
