package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.ColorProcessor;

import org.junit.jupiter.api.Test;

class DuplicateFinderTest {

	@Test
	void exactNearAndDistinct() {
		ColorProcessor a = Synthetic.rgb(100, 80, 1);
		ColorProcessor bright = (ColorProcessor) a.duplicate();
		bright.add(3); // a little brighter everywhere: same structure
		ColorProcessor other = Synthetic.rgb(100, 80, 2);
		DuplicateFinder f = new DuplicateFinder(4);
		assertNull(f.add("a", DuplicateFinder.fingerprint(a)));
		var exact = f.add("copy", DuplicateFinder.fingerprint((ColorProcessor) a.duplicate()));
		assertTrue(exact.exact());
		assertEquals("a", exact.duplicateOf());
		var near = f.add("bright", DuplicateFinder.fingerprint(bright));
		assertFalse(near.exact());
		assertTrue(near.distance() <= 4);
		assertNull(f.add("other", DuplicateFinder.fingerprint(other)));
		assertTrue(Long.bitCount(DuplicateFinder.dhash(a) ^ DuplicateFinder.dhash(other)) > 10);
		// exact only
		DuplicateFinder exactOnly = new DuplicateFinder(-1);
		exactOnly.add("a", DuplicateFinder.fingerprint(a));
		assertNull(exactOnly.add("bright", DuplicateFinder.fingerprint(bright)));
	}

	@Test
	void sizeIsPartOfTheHash() {
		ColorProcessor a = new ColorProcessor(4, 2);
		ColorProcessor b = new ColorProcessor(2, 4);
		assertNotEquals(DuplicateFinder.sha256(a), DuplicateFinder.sha256(b));
	}
}
