package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BucketsTest {

	@TempDir
	Path dir;

	/** kohya's make_bucket_resolutions((512, 512), 256, 1024, 64), worked out by hand from its loop. */
	@Test
	void enumerationMatchesKohyaForSd15Defaults() {
		List<Bucket> expected = new ArrayList<>();
		int[][] wh = {{256, 832}, {256, 896}, {256, 960}, {256, 1024}, {320, 704}, {320, 768}, {384, 640}, {448, 576},
			{512, 512}, {576, 448}, {640, 384}, {704, 320}, {768, 320}, {832, 256}, {896, 256}, {960, 256}, {1024, 256}};
		for (int[] p : wh) expected.add(new Bucket(p[0], p[1]));
		assertEquals(expected, Buckets.enumerate(512, 64, 256, 1024).list());
	}

	@Test
	void everyBucketKeepsTheRulesAndIsMaximalOrATranspose() {
		int res = 320;
		int step = 32;
		Buckets bs = Buckets.enumerate(res, step, 96, 640);
		long area = (long) res * res;
		for (Bucket b : bs.list()) {
			assertEquals(0, b.width() % step, b.toString());
			assertEquals(0, b.height() % step, b.toString());
			assertTrue(b.width() >= 96 && b.width() <= 640 && b.height() >= 96 && b.height() <= 640, b.toString());
			assertTrue(b.area() <= area, b + " exceeds the area budget");
			assertTrue(bs.list().contains(b.transposed()), "transpose of " + b);
			boolean maximal = b.height() == 640 || (long) b.width() * (b.height() + step) > area;
			boolean transposeMaximal = b.width() == 640 || (long) (b.width() + step) * b.height() > area;
			assertTrue(maximal || transposeMaximal || b.width() == b.height(), b + " is neither maximal nor a transpose");
		}
		assertTrue(bs.list().contains(new Bucket(320, 320)));
		// min and max sides that are not multiples of the step are rounded inwards
		for (Bucket b : Buckets.enumerate(512, 64, 200, 1000).list()) {
			assertTrue(b.width() >= 256 && b.width() <= 960 && b.height() >= 256 && b.height() <= 960, b.toString());
		}
	}

	@Test
	void badLimitsAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> Buckets.enumerate(512, 0, 256, 1024));
		assertThrows(IllegalArgumentException.class, () -> Buckets.enumerate(512, 64, 600, 1024));
		assertThrows(IllegalArgumentException.class, () -> Buckets.enumerate(512, 64, 256, 300));
		assertThrows(IllegalArgumentException.class, () -> Buckets.square(500, 64));
		assertThrows(IllegalArgumentException.class, () -> Buckets.of(List.of(new Bucket(100, 64)), 64));
		assertEquals(List.of(new Bucket(512, 512)), Buckets.square(512, 64).list());
	}

	@Test
	void nonSquareImagesGoToTheBucketOfNearestAspect() {
		Buckets bs = Buckets.enumerate(512, 64, 256, 1024);
		// ar 2: 704x320 (2.2) beats 640x384 (1.67) and 768x320 (2.4) on the log scale
		assertEquals(new Bucket(704, 320), bs.nearest(1000, 500));
		assertEquals(new Bucket(320, 704), bs.nearest(500, 1000));
		assertEquals(new Bucket(512, 512), bs.nearest(3000, 3000));
		assertEquals(new Bucket(512, 512), bs.nearest(17, 17));
		// 4:3 (1.333): 576x448 (1.286, log 0.036) beats 640x384 (1.667, log 0.223)
		assertEquals(new Bucket(576, 448), bs.nearest(1600, 1200));
		// extremely wide images take the widest bucket
		assertEquals(new Bucket(1024, 256), bs.nearest(10000, 100));
		// an image the size of a bucket gets that bucket
		for (Bucket b : bs.list()) assertEquals(b, bs.nearest(b.width(), b.height()));
	}

	@Test
	void transposingAnImageTransposesItsBucket() {
		Buckets bs = Buckets.enumerate(512, 64, 256, 1024);
		Random r = new Random(5);
		for (int i = 0; i < 2000; i++) {
			int w = 1 + r.nextInt(5000);
			int h = 1 + r.nextInt(5000);
			assertEquals(bs.nearest(w, h).transposed(), bs.nearest(h, w), w + "x" + h);
		}
	}

	@Test
	void tiesGoToTheLargerAreaThenTheLargerWidth() {
		Buckets same = Buckets.of(List.of(new Bucket(128, 64), new Bucket(256, 128)), 64);
		assertEquals(new Bucket(256, 128), same.nearest(200, 100));
		Buckets mirrored = Buckets.of(List.of(new Bucket(64, 128), new Bucket(128, 64)), 64);
		assertEquals(new Bucket(128, 64), mirrored.nearest(100, 100));
	}

	@Test
	void exactComparisonOfLargeProducts() {
		Random r = new Random(3);
		for (int i = 0; i < 10000; i++) {
			long a = r.nextLong() >>> 1 >>> r.nextInt(40);
			long b = r.nextLong() >>> 1 >>> r.nextInt(40);
			long c = r.nextLong() >>> 1 >>> r.nextInt(40);
			long d = r.nextLong() >>> 1 >>> r.nextInt(40);
			int expected = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).compareTo(
				BigInteger.valueOf(c).multiply(BigInteger.valueOf(d)));
			assertEquals(expected, Integer.signum(Buckets.compareProducts(a, b, c, d)));
		}
	}

	@Test
	void itemsAreAssignedFromTheirFileHeaders() throws IOException {
		Buckets bs = Buckets.enumerate(128, 32, 64, 256);
		Path wide = TestImages.png(TestImages.rgb(200, 100, 1), dir.resolve("wide.png"));
		Path tall = TestImages.write(TestImages.rgb(60, 120, 2), "jpg", dir.resolve("tall.jpg"));
		Path square = TestImages.write(TestImages.rgb(90, 90, 3), "tif", dir.resolve("square.tif"));
		List<DatasetItem> items = List.of(new DatasetItem(wide, "a", null), new DatasetItem(tall, "b", null),
			new DatasetItem(square, "c", null));
		Buckets.Assignment a = bs.assignItems(items);
		assertEquals(List.of(new ImageSize(200, 100), new ImageSize(60, 120), new ImageSize(90, 90)), a.sizes());
		assertEquals(bs.nearest(200, 100), a.buckets().get(0));
		assertTrue(a.buckets().get(0).width() > a.buckets().get(0).height());
		assertTrue(a.buckets().get(1).width() < a.buckets().get(1).height());
		assertEquals(new Bucket(128, 128), a.buckets().get(2));
		assertEquals(Map.of(a.buckets().get(0), 1, a.buckets().get(1), 1, new Bucket(128, 128), 1), a.counts());

		Path broken = Files.write(dir.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
		DatasetException e = assertThrows(DatasetException.class,
			() -> bs.assignItems(List.of(items.get(0), new DatasetItem(broken, "x", null))));
		assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
	}
}
