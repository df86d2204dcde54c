package io.github.diffusej.data;

import java.util.ArrayList;
import java.util.List;

/** 1-based index ranges in ImageJ notation: {@code ""} (all), {@code "3"}, {@code "2-5"}, {@code "1-9-2,12"}. */
final class IndexRange {

	private IndexRange() {}

	/**
	 * The indices the range selects out of 1..n, ascending and distinct. Indices above n are dropped, so a
	 * range can be shared between images of different sizes.
	 */
	static List<Integer> parse(String spec, int n, String what) {
		List<Integer> out = new ArrayList<>();
		if (spec == null || spec.isBlank()) {
			for (int i = 1; i <= n; i++) out.add(i);
			return out;
		}
		boolean[] seen = new boolean[n + 1];
		for (String part : spec.split(",")) {
			String p = part.trim();
			if (p.isEmpty()) continue;
			String[] bits = p.split("-");
			int from;
			int to;
			int step = 1;
			try {
				from = Integer.parseInt(bits[0].trim());
				to = bits.length > 1 ? Integer.parseInt(bits[1].trim()) : from;
				if (bits.length > 2) step = Integer.parseInt(bits[2].trim());
			}
			catch (NumberFormatException e) {
				throw new IllegalArgumentException("Bad " + what + " range '" + spec + "': '" + p
					+ "' is not N, N-M or N-M-STEP");
			}
			if (bits.length > 3 || from < 1 || to < from || step < 1) {
				throw new IllegalArgumentException("Bad " + what + " range '" + spec + "': '" + p
					+ "' must be N, N-M or N-M-STEP with 1 <= N <= M and STEP >= 1");
			}
			for (int i = from; i <= Math.min(to, n); i += step) {
				if (!seen[i]) {
					seen[i] = true;
				}
			}
		}
		for (int i = 1; i <= n; i++) if (seen[i]) out.add(i);
		return out;
	}
}
