package io.github.diffusej.data;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/** Synthetic test images made in the test: textured (so no two are near duplicates) and reproducible. */
final class Synthetic {

	private Synthetic() {}

	/** Smooth blobs plus noise: structure for dHash, variance for the empty-tile test. */
	static float[] texture(int w, int h, long seed) {
		Random r = new Random(seed);
		float[] px = new float[w * h];
		double fx = 1 + r.nextInt(6);
		double fy = 1 + r.nextInt(6);
		double ph = r.nextDouble() * 6;
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				double v = 0.5 + 0.35 * Math.sin(fx * 6.28 * x / w + ph) * Math.cos(fy * 6.28 * y / h)
					+ 0.15 * (r.nextDouble() - 0.5);
				px[y * w + x] = (float) v;
			}
		}
		return px;
	}

	static ByteProcessor gray8(int w, int h, long seed) {
		float[] t = texture(w, h, seed);
		byte[] px = new byte[w * h];
		for (int i = 0; i < px.length; i++) px[i] = (byte) Math.max(0, Math.min(255, Math.round(t[i] * 255)));
		return new ByteProcessor(w, h, px);
	}

	/** 16-bit values in [lo, lo + span]. */
	static ShortProcessor gray16(int w, int h, long seed, int lo, int span) {
		float[] t = texture(w, h, seed);
		short[] px = new short[w * h];
		for (int i = 0; i < px.length; i++) {
			px[i] = (short) (lo + Math.max(0, Math.min(span, Math.round(t[i] * span))));
		}
		return new ShortProcessor(w, h, px, null);
	}

	static FloatProcessor gray32(int w, int h, long seed) {
		float[] t = texture(w, h, seed);
		for (int i = 0; i < t.length; i++) t[i] = t[i] * 1e-3f - 5e-4f;
		return new FloatProcessor(w, h, t);
	}

	static ColorProcessor rgb(int w, int h, long seed) {
		float[] a = texture(w, h, seed);
		float[] b = texture(w, h, seed + 1);
		int[] px = new int[w * h];
		for (int i = 0; i < px.length; i++) {
			int r = clamp(a[i] * 255);
			int g = clamp(b[i] * 255);
			px[i] = (r << 16) | (g << 8) | clamp((a[i] + b[i]) * 127);
		}
		return new ColorProcessor(w, h, px);
	}

	static int clamp(double v) {
		return (int) Math.max(0, Math.min(255, Math.round(v)));
	}

	static ImagePlus image(String title, ImageProcessor ip) {
		return new ImagePlus(title, ip);
	}

	/** A 16-bit hyperstack with C channels, Z slices and T frames, each plane different, slice labels set. */
	static ImagePlus hyperstack(String title, int w, int h, int c, int z, int t) {
		ImageStack st = new ImageStack(w, h);
		long seed = 100;
		for (int ti = 1; ti <= t; ti++) {
			for (int zi = 1; zi <= z; zi++) {
				for (int ci = 1; ci <= c; ci++) {
					st.addSlice("c" + ci + "-z" + zi + "-t" + ti, gray16(w, h, seed++, 1000 * ci, 500));
				}
			}
		}
		ImagePlus imp = new ImagePlus(title, st);
		imp.setDimensions(c, z, t);
		imp.setOpenAsHyperStack(true);
		return imp;
	}

	/** A 3-channel 8-bit composite with red, green and blue LUTs (display range 0..255). */
	static CompositeImage composite3(String title, int w, int h) {
		ImageStack st = new ImageStack(w, h);
		for (int c = 0; c < 3; c++) st.addSlice("ch" + (c + 1), gray8(w, h, 300 + c));
		ImagePlus imp = new ImagePlus(title, st);
		imp.setDimensions(3, 1, 1);
		CompositeImage ci = new CompositeImage(imp, IJ.COMPOSITE);
		ci.setChannelLut(LUT.createLutFromColor(Color.RED), 1);
		ci.setChannelLut(LUT.createLutFromColor(Color.GREEN), 2);
		ci.setChannelLut(LUT.createLutFromColor(Color.BLUE), 3);
		for (int c = 1; c <= 3; c++) {
			ci.getChannelLut(c).min = 0;
			ci.getChannelLut(c).max = 255;
		}
		return ci;
	}

	static Path savePng(ImageProcessor ip, Path file) throws IOException {
		DatasetWriter.writePng(ip.getBitDepth() == 24 || ip.getBitDepth() == 8 ? ip : ip.convertToByte(true), file);
		return file;
	}
}
