package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class DatasetSplitTest {

	@Test
	void reproducibleBySeed() {
		List<Integer> a = DatasetSplit.validationIndices(100, 0.2, 7);
		assertEquals(20, a.size());
		assertEquals(a, DatasetSplit.validationIndices(100, 0.2, 7));
		assertNotEquals(a, DatasetSplit.validationIndices(100, 0.2, 8));
		// java.util.Random's sequence is specified: this list is the same on every JVM
		assertEquals(List.of(2, 4, 6), DatasetSplit.validationIndices(10, 0.3, 42));
	}

	@Test
	void edgeCases() {
		assertEquals(List.of(), DatasetSplit.validationIndices(10, 0, 1));
		assertEquals(1, DatasetSplit.validationIndices(3, 0.01, 1).size()); // at least one
		assertEquals(List.of(), DatasetSplit.validationIndices(1, 0.5, 1)); // never all
		assertEquals(9, DatasetSplit.validationIndices(10, 0.99, 1).size());
	}
}
