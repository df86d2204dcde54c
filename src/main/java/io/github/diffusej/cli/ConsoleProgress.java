package io.github.diffusej.cli;

import io.github.diffusej.Durations;
import io.github.diffusej.generate.TextToImage;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress lines of a generation or a dataset build on the console (stderr): percentage, elapsed time and ETA, at
 * most about twice a second and always the last one. Cancelled by interrupting the thread.
 */
class ConsoleProgress implements TextToImage.Listener {

	private final PrintWriter err;
	private final long start = System.nanoTime();
	private long lastPrint;
	private String lastMessage = "";

	ConsoleProgress(PrintWriter err) {
		this.err = err;
	}

	@Override
	public void progress(int done, int total, String message) {
		long now = System.nanoTime();
		boolean last = total > 0 && done >= total;
		boolean recent = now - lastPrint < 500_000_000L;
		if (!last && recent && (total > 0 || message.equals(lastMessage))) return;
		lastPrint = now;
		lastMessage = message;
		if (total <= 0) {
			err.println(message);
			return;
		}
		double elapsed = (now - start) / 1e9;
		double left = Durations.remaining(elapsed, done, total);
		err.println(String.format(Locale.ROOT, "[%3d%%] %s (%s elapsed%s)", Math.round(100.0 * done / total), message,
			Durations.format(elapsed), Double.isNaN(left) ? "" : ", ETA " + Durations.format(left)));
	}

	@Override
	public boolean isCancelled() {
		return Thread.currentThread().isInterrupted();
	}
}
