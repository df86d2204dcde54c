package io.github.diffusej.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A reproducible train/validation split: the items are shuffled with {@link Random}(seed), whose sequence Java
 * specifies, and the first {@code round(fraction * n)} go to validation (at least one when the fraction is above
 * zero and there are two items or more; never all of them).
 */
public final class DatasetSplit {

	private DatasetSplit() {}

	/** Sorted indices (0..n-1) of the validation items. */
	public static List<Integer> validationIndices(int n, double fraction, long seed) {
		if (!(fraction >= 0 && fraction < 1)) {
			throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
		}
		int k = (int) Math.round(fraction * n);
		if (fraction > 0 && k == 0 && n >= 2) k = 1;
		k = Math.min(k, n - 1);
		if (k <= 0) return List.of();
		List<Integer> order = new ArrayList<>(n);
		for (int i = 0; i < n; i++) order.add(i);
		Collections.shuffle(order, new Random(seed));
		List<Integer> val = new ArrayList<>(order.subList(0, k));
		Collections.sort(val);
		return val;
	}
}
