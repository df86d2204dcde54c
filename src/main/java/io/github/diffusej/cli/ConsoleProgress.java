package io.github.diffusej.cli;

import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.TextToImage;
import java.io.PrintStream;

/** Prints progress lines with percentage and ETA, at most about twice a second (and always the last one). */
final class ConsoleProgress implements TextToImage.Listener {

	private final PrintStream out;
	private final long start = System.nanoTime();
	private long lastPrint;
	private String lastMessage = "";

	ConsoleProgress(PrintStream out) {
		this.out = out;
	}

	@Override
	public void progress(int done, int total, String message) {
		long now = System.nanoTime();
		boolean last = total > 0 && done >= total;
		if (!last && now - lastPrint < 500_000_000L && message.equals(lastMessage)) return;
		if (!last && now - lastPrint < 500_000_000L && total > 0) return;
		lastPrint = now;
		lastMessage = message;
		if (total <= 0) {
			out.println(message);
			return;
		}
		double elapsed = (now - start) / 1e9;
		String eta = done > 0 ? " ETA " + formatSeconds(elapsed * (total - done) / done) : "";
		out.printf("[%3d%%] %s (%s elapsed%s)%n", Math.round(100.0 * done / total), message, formatSeconds(elapsed), eta);
	}

	@Override
	public void imageDone(int index, GeneratedImage image) {
		out.println("image " + (index + 1) + " done: " + image.label());
	}

	static String formatSeconds(double s) {
		if (s < 60) return String.format("%.0fs", s);
		if (s < 3600) return String.format("%dm%02ds", (long) s / 60, (long) s % 60);
		return String.format("%dh%02dm", (long) s / 3600, (long) s % 3600 / 60);
	}
}
