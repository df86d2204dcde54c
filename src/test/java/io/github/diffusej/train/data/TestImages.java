package io.github.diffusej.train.data;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import javax.imageio.ImageIO;

/** Images made in the tests (never stored binaries): reproducible random textures in the common file layouts. */
final class TestImages {

	private TestImages() {}

	/** 8-bit RGB with independent random channels. */
	static BufferedImage rgb(int w, int h, long seed) {
		Random r = new Random(seed);
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt() & 0xffffff);
		}
		return img;
	}

	/** 8-bit grey. */
	static BufferedImage grey(int w, int h, long seed) {
		Random r = new Random(seed);
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
		WritableRaster ras = img.getRaster();
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) ras.setSample(x, y, 0, r.nextInt(256));
		}
		return img;
	}

	/** Grey from given values in [0, 255], row-major. */
	static BufferedImage grey(int w, int h, int[] values) {
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
		img.getRaster().setPixels(0, 0, w, h, values);
		return img;
	}

	/** 16-bit grey or RGB (bands 1 or 3) with random samples in [0, 65535]. */
	static BufferedImage sixteenBit(int w, int h, int bands, long seed) {
		ColorSpace cs = ColorSpace.getInstance(bands == 1 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB);
		ComponentColorModel cm = new ComponentColorModel(cs, false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
		WritableRaster ras = cm.createCompatibleWritableRaster(w, h);
		Random r = new Random(seed);
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				for (int b = 0; b < bands; b++) ras.setSample(x, y, b, r.nextInt(65536));
			}
		}
		return new BufferedImage(cm, ras, false, null);
	}

	/** 8-bit RGBA with random colour and alpha. */
	static BufferedImage rgba(int w, int h, long seed) {
		Random r = new Random(seed);
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
		}
		return img;
	}

	/** A palette image of four colours. */
	static BufferedImage palette(int w, int h, long seed) {
		byte[] rr = {0, (byte) 255, 10, (byte) 200};
		byte[] gg = {0, 0, (byte) 250, 100};
		byte[] bb = {0, 0, 30, 50};
		IndexColorModel icm = new IndexColorModel(2, 4, rr, gg, bb);
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY, icm);
		Random r = new Random(seed);
		WritableRaster ras = img.getRaster();
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) ras.setSample(x, y, 0, r.nextInt(4));
		}
		return img;
	}

	static Path write(BufferedImage img, String format, Path file) throws IOException {
		Files.createDirectories(file.toAbsolutePath().getParent());
		if (!ImageIO.write(img, format, file.toFile())) throw new IOException("no " + format + " writer for this image type");
		return file;
	}

	static Path png(BufferedImage img, Path file) throws IOException {
		return write(img, "png", file);
	}

	/** The 8-bit samples of band {@code b} at (x, y). */
	static int sample(BufferedImage img, int x, int y, int b) {
		return img.getRaster().getSample(x, y, b);
	}

	/** {@code [3, H, W]} index. */
	static int at(int c, int x, int y, int w, int h) {
		return (c * h + y) * w + x;
	}
}
