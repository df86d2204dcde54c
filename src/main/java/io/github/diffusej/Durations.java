package io.github.diffusej;

import java.util.Locale;

/**
 * Durations as the faces show them ("42s", "3m05s", "2h10m") and the estimate of the time left after
 * {@code done} of {@code total} units, so the status bar, the training window and the console agree.
 */
public final class Durations {

	private Durations() {}

	/** "42s", "3m05s", "2h10m"; "?" for a negative, infinite or NaN value. */
	public static String format(double seconds) {
		if (!Double.isFinite(seconds) || seconds < 0) return "?";
		long s = Math.round(seconds);
		if (s < 60) return s + "s";
		if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
		return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
	}

	/**
	 * Seconds left when {@code done} of {@code total} units took {@code elapsedSeconds}, assuming an even pace;
	 * NaN while nothing is done or the total is unknown.
	 */
	public static double remaining(double elapsedSeconds, long done, long total) {
		if (done <= 0 || total <= 0) return Double.NaN;
		return elapsedSeconds * Math.max(0, total - done) / done;
	}
}
