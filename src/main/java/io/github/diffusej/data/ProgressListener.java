package io.github.diffusej.data;

/**
 * Progress of a long job, and the way to cancel it. The Fiji face adapts it to the status bar, the CLI prints it.
 * Jobs call {@link #isCancelled()} between work units and stop with a {@link java.util.concurrent.CancellationException}.
 */
public interface ProgressListener {

	/** A listener that reports nothing and never cancels. */
	ProgressListener NONE = (done, total, message) -> {};

	/**
	 * @param done units finished so far
	 * @param total units in all, or -1 where unknown
	 * @param message what is being done, for a status line
	 */
	void progress(int done, int total, String message);

	/** Whether the user asked to stop; checked between work units. */
	default boolean isCancelled() {
		return false;
	}
}
