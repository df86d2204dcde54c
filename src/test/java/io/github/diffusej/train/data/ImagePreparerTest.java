package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.Rng;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePreparerTest {

	@TempDir
	Path dir;

	private static float norm(double v) {
		return (float) (v / 127.5 - 1.0);
	}

	@Test
	void anImageOfTheBucketSizeIsNormalisedExactly() throws IOException {
		BufferedImage img = TestImages.rgb(48, 32, 1);
		Path f = TestImages.png(img, dir.resolve("a.png"));
		PreparedImage p = ImagePreparer.prepare(new DatasetItem(f, "x", null), new Bucket(48, 32), CropMode.CENTER, false, null);
		assertEquals(3 * 48 * 32, p.pixels().length);
		assertNull(p.mask());
		for (int y = 0; y < 32; y++) {
			for (int x = 0; x < 48; x++) {
				for (int c = 0; c < 3; c++) {
					assertEquals(norm(TestImages.sample(img, x, y, c)), p.pixels()[TestImages.at(c, x, y, 48, 32)], 0f);
				}
			}
		}
	}

	@Test
	void flipMirrorsColumns() throws IOException {
		BufferedImage img = TestImages.rgb(40, 24, 2);
		Path f = TestImages.png(img, dir.resolve("a.png"));
		DatasetItem it = new DatasetItem(f, "x", null);
		ImageSize s = new ImageSize(40, 24);
		Bucket b = new Bucket(40, 24);
		float[] plain = ImagePreparer.prepare(it, Placement.centred(s, b, false)).pixels();
		float[] flipped = ImagePreparer.prepare(it, Placement.centred(s, b, true)).pixels();
		for (int c = 0; c < 3; c++) {
			for (int y = 0; y < 24; y++) {
				for (int x = 0; x < 40; x++) {
					assertEquals(plain[TestImages.at(c, 39 - x, y, 40, 24)], flipped[TestImages.at(c, x, y, 40, 24)], 0f);
				}
			}
		}
	}

	@Test
	void cropsCutTheRecordedWindow() throws IOException {
		// heights match (64), so the resized image is the image itself and the window is a plain cut
		BufferedImage img = TestImages.rgb(100, 64, 3);
		Path f = TestImages.png(img, dir.resolve("a.png"));
		DatasetItem it = new DatasetItem(f, "x", null);
		Rng rng = new Rng(11);
		for (int k = 0; k < 5; k++) {
			PreparedImage p = ImagePreparer.prepare(it, new Bucket(64, 64), CropMode.RANDOM, false, rng);
			int left = p.placement().cropLeft();
			assertEquals(100, p.placement().resizedWidth());
			assertTrue(left >= 0 && left <= 36);
			for (int y = 0; y < 64; y += 7) {
				for (int x = 0; x < 64; x += 5) {
					assertEquals(norm(TestImages.sample(img, left + x, y, 1)), p.pixels()[TestImages.at(1, x, y, 64, 64)], 0f);
				}
			}
		}
		PreparedImage centre = ImagePreparer.prepare(it, new Bucket(64, 64), CropMode.CENTER, false, null);
		assertEquals(18, centre.placement().cropLeft());
		assertEquals(norm(TestImages.sample(img, 18, 0, 0)), centre.pixels()[0], 0f);
	}

	@Test
	void shrinkingAveragesAreasAndEnlargingIsBilinear() throws IOException {
		BufferedImage big = TestImages.grey(128, 96, 4);
		Path f = TestImages.png(big, dir.resolve("big.png"));
		float[] half = ImagePreparer.prepare(new DatasetItem(f, "", null), Placement.centred(new ImageSize(128, 96),
			new Bucket(64, 48), false)).pixels();
		for (int y = 0; y < 48; y++) {
			for (int x = 0; x < 64; x++) {
				double m = (TestImages.sample(big, 2 * x, 2 * y, 0) + TestImages.sample(big, 2 * x + 1, 2 * y, 0)
					+ TestImages.sample(big, 2 * x, 2 * y + 1, 0) + TestImages.sample(big, 2 * x + 1, 2 * y + 1, 0)) / 4.0;
				assertEquals(norm(m), half[TestImages.at(2, x, y, 64, 48)], 1e-5f);
			}
		}
		BufferedImage small = TestImages.grey(16, 16, 5);
		Path g = TestImages.png(small, dir.resolve("small.png"));
		float[] up = ImagePreparer.prepare(new DatasetItem(g, "", null), Placement.centred(new ImageSize(16, 16),
			new Bucket(32, 32), false)).pixels();
		// output 1 of a 2x enlargement sits at source 0.25: 3/4 of pixel 0 and 1/4 of pixel 1 (in x and y)
		double v00 = TestImages.sample(small, 0, 0, 0);
		double v10 = TestImages.sample(small, 1, 0, 0);
		double v01 = TestImages.sample(small, 0, 1, 0);
		double v11 = TestImages.sample(small, 1, 1, 0);
		assertEquals(norm(v00), up[0], 1e-6f); // edge clamped
		double e = 0.75 * (0.75 * v00 + 0.25 * v10) + 0.25 * (0.75 * v01 + 0.25 * v11);
		assertEquals(norm(e), up[TestImages.at(0, 1, 1, 32, 32)], 1e-5f);
	}

	/** A plain full-image resize in double, written from the filter definitions, against the windowed fast path. */
	@Test
	void windowedResizeMatchesANaiveFullResize() throws IOException {
		Random r = new Random(9);
		int[][] cases = {{200, 90, 64, 32}, {37, 53, 64, 96}, {500, 130, 128, 32}, {64, 64, 64, 64}, {70, 30, 96, 32}};
		for (int[] cs : cases) {
			BufferedImage img = TestImages.rgb(cs[0], cs[1], r.nextLong());
			Path f = TestImages.png(img, dir.resolve("n" + cs[0] + ".png"));
			Bucket b = new Bucket(cs[2], cs[3]);
			Placement p = Placement.choose(new ImageSize(cs[0], cs[1]), b, CropMode.RANDOM, true, new Rng(r.nextLong()));
			float[] fast = ImagePreparer.prepare(new DatasetItem(f, "", null), p).pixels();
			for (int c = 0; c < 3; c++) {
				double[][] full = naiveResize(img, c, p.resizedWidth(), p.resizedHeight());
				for (int y = 0; y < b.height(); y++) {
					for (int x = 0; x < b.width(); x++) {
						int sx = p.cropLeft() + (p.flip() ? b.width() - 1 - x : x);
						double want = full[p.cropTop() + y][sx] / 127.5 - 1;
						int ch = c;
						int xx = x;
						int yy = y;
						assertEquals(want, fast[TestImages.at(c, x, y, b.width(), b.height())], 2e-5,
							() -> Arrays.toString(cs) + " c" + ch + " at " + xx + "," + yy);
					}
				}
			}
		}
	}

	private static double[][] naiveResize(BufferedImage img, int c, int outW, int outH) {
		int w = img.getWidth();
		int h = img.getHeight();
		double[][] src = new double[h][w];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) src[y][x] = TestImages.sample(img, x, y, c);
		}
		double[][] rows = new double[h][];
		for (int y = 0; y < h; y++) rows[y] = resample1d(src[y], outW);
		double[][] out = new double[outH][outW];
		for (int x = 0; x < outW; x++) {
			double[] col = new double[h];
			for (int y = 0; y < h; y++) col[y] = rows[y][x];
			double[] rc = resample1d(col, outH);
			for (int y = 0; y < outH; y++) out[y][x] = rc[y];
		}
		return out;
	}

	private static double[] resample1d(double[] s, int m) {
		int n = s.length;
		double[] o = new double[m];
		if (m == n) return s.clone();
		double scale = (double) n / m;
		for (int k = 0; k < m; k++) {
			if (m < n) {
				double a = k * scale;
				double b = (k + 1) * scale;
				double acc = 0;
				for (int i = (int) Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
					acc += s[i] * Math.max(0, Math.min(i + 1, b) - Math.max(i, a));
				}
				o[k] = acc / scale;
			}
			else {
				double x = Math.max(0, Math.min(n - 1, (k + 0.5) * scale - 0.5));
				int i0 = (int) Math.floor(x);
				int i1 = Math.min(n - 1, i0 + 1);
				double t = x - i0;
				o[k] = (1 - t) * s[i0] + t * s[i1];
			}
		}
		return o;
	}

	@Test
	void greyIsExpandedAndSixteenBitsAreScaledToEight() throws IOException {
		BufferedImage g = TestImages.grey(20, 10, 6);
		Path gf = TestImages.png(g, dir.resolve("g.png"));
		float[] gp = ImagePreparer.prepare(new DatasetItem(gf, "", null), new Bucket(20, 10), CropMode.CENTER, false, null).pixels();
		for (int i = 0; i < 200; i++) {
			assertEquals(gp[i], gp[200 + i], 0f);
			assertEquals(gp[i], gp[400 + i], 0f);
		}
		for (String format : new String[] {"png", "tif"}) {
			for (int bands : new int[] {1, 3}) {
				BufferedImage s = TestImages.sixteenBit(20, 10, bands, 7 + bands);
				Path f = TestImages.write(s, format, dir.resolve("s" + bands + "." + format));
				float[] px = ImagePreparer.prepare(new DatasetItem(f, "", null), new Bucket(20, 10), CropMode.CENTER, false, null).pixels();
				for (int y = 0; y < 10; y++) {
					for (int x = 0; x < 20; x++) {
						for (int c = 0; c < 3; c++) {
							int v = TestImages.sample(s, x, y, bands == 1 ? 0 : c);
							assertEquals(norm(Math.round(v / 257.0)), px[TestImages.at(c, x, y, 20, 10)], 0f, format + " " + bands);
						}
					}
				}
			}
		}
	}

	@Test
	void alphaIsCompositedOnBlackAndPalettesAreLookedUp() throws IOException {
		BufferedImage a = TestImages.rgba(16, 8, 8);
		Path af = TestImages.png(a, dir.resolve("a.png"));
		float[] ap = ImagePreparer.prepare(new DatasetItem(af, "", null), new Bucket(16, 8), CropMode.CENTER, false, null).pixels();
		for (int y = 0; y < 8; y++) {
			for (int x = 0; x < 16; x++) {
				int argb = a.getRGB(x, y);
				double alpha = (argb >>> 24) / 255.0;
				assertEquals(norm(((argb >> 16) & 0xff) * alpha), ap[TestImages.at(0, x, y, 16, 8)], 2e-6f);
				assertEquals(norm((argb & 0xff) * alpha), ap[TestImages.at(2, x, y, 16, 8)], 2e-6f);
			}
		}
		BufferedImage p = TestImages.palette(16, 8, 9);
		Path pf = TestImages.png(p, dir.resolve("p.png"));
		float[] pp = ImagePreparer.prepare(new DatasetItem(pf, "", null), new Bucket(16, 8), CropMode.CENTER, false, null).pixels();
		for (int y = 0; y < 8; y++) {
			for (int x = 0; x < 16; x++) {
				int rgb = p.getRGB(x, y);
				assertEquals(norm((rgb >> 8) & 0xff), pp[TestImages.at(1, x, y, 16, 8)], 0f);
			}
		}
	}

	@Test
	void jpegBmpAndGifLoad() throws IOException {
		BufferedImage img = TestImages.rgb(24, 16, 10);
		for (String format : new String[] {"jpg", "bmp", "gif"}) {
			BufferedImage src = format.equals("gif") ? TestImages.palette(24, 16, 10) : img;
			Path f = TestImages.write(src, format, dir.resolve("i." + format));
			PreparedImage p = ImagePreparer.prepare(new DatasetItem(f, "", null), new Bucket(24, 16), CropMode.CENTER, false, null);
			double err = 0;
			for (int y = 0; y < 16; y++) {
				for (int x = 0; x < 24; x++) {
					int rgb = src.getRGB(x, y);
					err = Math.max(err, Math.abs(norm((rgb >> 16) & 0xff) - p.pixels()[TestImages.at(0, x, y, 24, 16)]));
				}
			}
			// bmp and gif are lossless; jpeg of random noise is far from it, but pixels stay in range
			if (!format.equals("jpg")) assertEquals(0, err, 0, format);
			for (float v : p.pixels()) assertTrue(v >= -1 && v <= 1, format);
		}
	}

	@Test
	void masksFollowTheSameResizeCropAndFlip() throws IOException {
		// the image's red channel equals the mask, so after preparation red and mask agree wherever they are sampled
		int w = 90;
		int h = 60;
		Random r = new Random(12);
		int[] m = new int[w * h];
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
		for (int i = 0; i < m.length; i++) {
			m[i] = r.nextInt(256);
			img.setRGB(i % w, i / w, m[i] << 16 | r.nextInt(256) << 8 | r.nextInt(256));
		}
		Path f = TestImages.png(img, dir.resolve("img.png"));
		Path mf = TestImages.png(TestImages.grey(w, h, m), dir.resolve("mask.png"));
		DatasetItem it = new DatasetItem(f, "", mf);
		Rng rng = new Rng(13);
		for (Bucket b : new Bucket[] {new Bucket(64, 32), new Bucket(32, 64), new Bucket(128, 96)}) {
			for (int k = 0; k < 4; k++) {
				PreparedImage p = ImagePreparer.prepare(it, b, CropMode.RANDOM, true, rng);
				assertTrue(p.hasMask());
				for (int i = 0; i < b.width() * b.height(); i++) {
					assertEquals((p.pixels()[i] + 1) * 127.5 / 255, p.mask()[i], 1e-5, () -> b + " " + p.placement());
				}
				assertArrayEquals(p.mask(), ImagePreparer.mask(it, p.placement()));
			}
		}
	}

	@Test
	void aMaskOfAnotherSizeIsScaledOntoTheImage() throws IOException {
		// image 96x64, mask 48x32 whose left half is 255: the boundary falls at resized x = 48, in the 64x64
		// centre window (left 16) at x = 32
		Path f = TestImages.png(TestImages.rgb(96, 64, 14), dir.resolve("i.png"));
		int[] m = new int[48 * 32];
		for (int i = 0; i < m.length; i++) m[i] = i % 48 < 24 ? 255 : 0;
		Path mf = TestImages.png(TestImages.grey(48, 32, m), dir.resolve("m.png"));
		DatasetItem it = new DatasetItem(f, "", mf);
		for (boolean flip : new boolean[] {false, true}) {
			float[] mask = ImagePreparer.mask(it, Placement.centred(new ImageSize(96, 64), new Bucket(64, 64), flip));
			for (int y = 0; y < 64; y++) {
				for (int x = 0; x < 64; x++) {
					int ux = flip ? 63 - x : x;
					if (ux <= 30) assertEquals(1f, mask[y * 64 + x], 1e-6f, "x " + x + " flip " + flip);
					if (ux >= 33) assertEquals(0f, mask[y * 64 + x], 1e-6f, "x " + x + " flip " + flip);
				}
			}
		}
	}

	@Test
	void latentMasksAverageBlocks() {
		float[] m = new float[16 * 8];
		for (int y = 0; y < 8; y++) {
			for (int x = 0; x < 8; x++) m[y * 16 + x] = 1;
		}
		m[8] = 1; // one pixel of the right block
		assertArrayEquals(new float[] {1f, 1f / 64}, Masks.toLatentGrid(m, 16, 8, 8), 1e-7f);
		assertEquals(65, Masks.area(m), 0);
		assertThrows(IllegalArgumentException.class, () -> Masks.toLatentGrid(m, 16, 8, 3));
	}

	@Test
	void damagedAndUnsupportedFilesGiveErrorsNamingThem() throws IOException {
		Path png = TestImages.png(TestImages.rgb(64, 64, 15), dir.resolve("good.png"));
		Path jpg = TestImages.write(TestImages.rgb(64, 64, 16), "jpg", dir.resolve("good.jpg"));
		Bucket b = new Bucket(64, 64);
		for (Path good : new Path[] {png, jpg}) {
			byte[] bytes = Files.readAllBytes(good);
			Path cut = Files.write(dir.resolve("cut-" + good.getFileName()), Arrays.copyOf(bytes, bytes.length * 2 / 3));
			DatasetException e = assertThrows(DatasetException.class,
				() -> ImagePreparer.prepare(new DatasetItem(cut, "", null), b, CropMode.CENTER, false, null));
			assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
		}
		Path garbage = Files.write(dir.resolve("garbage.png"), new byte[] {1, 2, 3, 4});
		Path missing = dir.resolve("missing.png");
		for (Path bad : new Path[] {garbage, missing}) {
			DatasetException e = assertThrows(DatasetException.class, () -> ImageSize.read(bad));
			assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
		}
		// a mask that cannot be read names the mask
		DatasetException e = assertThrows(DatasetException.class,
			() -> ImagePreparer.prepare(new DatasetItem(png, "", garbage), b, CropMode.CENTER, false, null));
		assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
		// the file changed size since the plan was made
		e = assertThrows(DatasetException.class, () -> ImagePreparer.prepare(new DatasetItem(png, "", null),
			Placement.centred(new ImageSize(128, 64), b, false)));
		assertTrue(e.getMessage().contains("changed"), e.getMessage());
	}

	/** TIFFs as ImageJ saves them (its own tags and metadata) load; 32-bit float ones are refused by name. */
	@Test
	void imageJTiffsLoadAndFloatTiffsAreRefused() throws IOException {
		short[] v = new short[30 * 20];
		for (int i = 0; i < v.length; i++) v[i] = (short) (i * 97);
		ij.ImagePlus sixteen = new ij.ImagePlus("s", new ij.process.ShortProcessor(30, 20, v, null));
		sixteen.setProperty("Info", "acquired on a microscope");
		Path f16 = dir.resolve("ij16.tif");
		assertTrue(new ij.io.FileSaver(sixteen).saveAsTiff(f16.toString()));
		assertEquals(new ImageSize(30, 20), ImageSize.read(f16));
		float[] px = ImagePreparer.prepare(new DatasetItem(f16, "", null), new Bucket(30, 20), CropMode.CENTER, false, null).pixels();
		for (int i = 0; i < v.length; i++) assertEquals(norm(Math.round((v[i] & 0xffff) / 257.0)), px[i], 0f);

		ij.ImagePlus rgb = new ij.ImagePlus("c", new ij.process.ColorProcessor(TestImages.rgb(30, 20, 17)));
		Path fc = dir.resolve("ijrgb.tif");
		assertTrue(new ij.io.FileSaver(rgb).saveAsTiff(fc.toString()));
		float[] pc = ImagePreparer.prepare(new DatasetItem(fc, "", null), new Bucket(30, 20), CropMode.CENTER, false, null).pixels();
		int c = ((ij.process.ColorProcessor) rgb.getProcessor()).get(7, 3);
		assertEquals(norm((c >> 8) & 0xff), pc[TestImages.at(1, 7, 3, 30, 20)], 0f);

		ij.ImagePlus fl = new ij.ImagePlus("f", new ij.process.FloatProcessor(30, 20));
		Path ff = dir.resolve("float.tif");
		assertTrue(new ij.io.FileSaver(fl).saveAsTiff(ff.toString()));
		DatasetException e = assertThrows(DatasetException.class,
			() -> ImagePreparer.prepare(new DatasetItem(ff, "", null), new Bucket(30, 20), CropMode.CENTER, false, null));
		assertTrue(e.getMessage().startsWith(ff.toString()) && e.getMessage().contains("8-bit"), e.getMessage());
	}

	@Test
	void headersGiveSizesWithoutDecoding() throws IOException {
		for (String format : new String[] {"png", "jpg", "bmp", "tif", "gif"}) {
			BufferedImage img = format.equals("gif") ? TestImages.palette(33, 17, 1) : TestImages.rgb(33, 17, 1);
			Path f = TestImages.write(img, format, dir.resolve("h." + format));
			assertEquals(new ImageSize(33, 17), ImageSize.read(f), format);
		}
	}
}
