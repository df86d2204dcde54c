package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.Rng;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PlacementTest {

	@Test
	void coverSizeMatchesOneSideAndRoundsTheOther() {
		// relatively taller than the bucket (2 < 2.2): widths match, 500 * 704 / 1000 = 352
		Placement p = Placement.centred(new ImageSize(1000, 500), new Bucket(704, 320), false);
		assertEquals(704, p.resizedWidth());
		assertEquals(352, p.resizedHeight());
		assertEquals(0, p.cropLeft());
		assertEquals(16, p.cropTop());
		// wider: heights match, 300 * 64 / 100 = 192
		p = Placement.centred(new ImageSize(300, 100), new Bucket(128, 64), false);
		assertEquals(192, p.resizedWidth());
		assertEquals(64, p.resizedHeight());
		assertEquals(32, p.cropLeft());
		// round half up: 65 * 64 / 64 = 65 exactly; 101 * 64 / 100 = 64.64 -> 65
		assertEquals(65, Placement.centred(new ImageSize(101, 100), new Bucket(64, 64), false).resizedWidth());
		// 1001 * 64 / 1000 = 64.064 -> 64: no spare column
		assertEquals(64, Placement.centred(new ImageSize(1001, 1000), new Bucket(64, 64), false).resizedWidth());
		// same aspect: exact
		p = Placement.centred(new ImageSize(32, 16), new Bucket(128, 64), true);
		assertEquals(128, p.resizedWidth());
		assertEquals(64, p.resizedHeight());
		assertTrue(p.flip());
		assertEquals(4.0, p.scaleX());
	}

	@Test
	void randomCropsCoverEveryOffsetAndAreReproducible() {
		ImageSize s = new ImageSize(80, 64);
		Bucket b = new Bucket(64, 64);
		Rng a = new Rng(7);
		Rng c = new Rng(7);
		Set<Integer> lefts = new HashSet<>();
		int flips = 0;
		for (int i = 0; i < 2000; i++) {
			Placement p = Placement.choose(s, b, CropMode.RANDOM, true, a);
			assertEquals(p, Placement.choose(s, b, CropMode.RANDOM, true, c));
			assertEquals(0, p.cropTop());
			assertTrue(p.cropLeft() >= 0 && p.cropLeft() <= 16);
			lefts.add(p.cropLeft());
			if (p.flip()) flips++;
		}
		assertEquals(17, lefts.size());
		assertTrue(flips > 900 && flips < 1100, "flips " + flips);
	}

	@Test
	void centreCropWithoutFlipsDrawsNothing() {
		Placement p = Placement.choose(new ImageSize(80, 64), new Bucket(64, 64), CropMode.CENTER, false, null);
		assertEquals(8, p.cropLeft());
		assertFalse(p.flip());
	}

	@Test
	void windowsOutsideTheResizedImageAreRefused() {
		ImageSize s = new ImageSize(80, 64);
		Bucket b = new Bucket(64, 64);
		assertThrows(IllegalArgumentException.class, () -> new Placement(s, b, 80, 64, 17, 0, false));
		assertThrows(IllegalArgumentException.class, () -> new Placement(s, b, 60, 64, 0, 0, false));
		assertEquals(CropMode.CENTER, CropMode.parse("Centre"));
		assertEquals(CropMode.RANDOM, CropMode.parse("random"));
		assertThrows(IllegalArgumentException.class, () -> CropMode.parse("middle"));
	}
}
