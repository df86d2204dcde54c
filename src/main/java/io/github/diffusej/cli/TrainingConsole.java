package io.github.diffusej.cli;

import io.github.diffusej.Durations;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.train.TrainingListener;
import io.github.diffusej.train.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A training run on the console. Progress goes to stderr: a line with step, loss, smoothed loss, learning rate,
 * seconds per step and ETA, rewritten in place on a terminal and printed as one line per update otherwise (a
 * cluster job's log gets a line per step, at most one per second so that a fast tiny model does not flood it, plus
 * the first and the last step), and the validation losses
 * and notes. Results go to stdout: validation images, checkpoints and the final outcome, so that a script can
 * collect them.
 *
 * <p>An interrupt of the training thread (Ctrl-C, or the SIGTERM a cluster sends at its wall-time limit, which
 * {@link Main#main} turns into one) is answered with {@link Request#CANCEL} at the next {@link #poll()}: the run
 * then saves a resumable checkpoint. The interrupt flag is cleared when it is reported, so that the checkpoint can
 * still be written.
 */
public final class TrainingConsole implements TrainingListener {

	/** Seconds between progress lines when stderr is not a terminal. */
	public static final double LOG_INTERVAL = 1;
	/** Seconds between redraws of the progress line on a terminal. */
	public static final double TERMINAL_INTERVAL = 0.25;

	private final PrintWriter out;
	private final PrintWriter err;
	private final boolean terminal;
	private final long intervalNanos;
	private final LongSupplier clock;
	private long lastPrint = Long.MIN_VALUE;
	private int lastStepShown = -1;
	private int lineLength;
	private boolean cancelRequested;
	private StepReport last;

	/**
	 * @param terminal rewrite one progress line in place ({@code \r}) instead of printing lines
	 * @param intervalSeconds at most one progress line (or redraw) per this many seconds
	 * @param clock nanoseconds, {@link System#nanoTime} outside tests
	 */
	public TrainingConsole(PrintWriter out, PrintWriter err, boolean terminal, double intervalSeconds, LongSupplier clock) {
		this.out = out;
		this.err = err;
		this.terminal = terminal;
		this.intervalNanos = (long) (intervalSeconds * 1e9);
		this.clock = clock;
	}

	/** For the real console: a terminal when Java has one, else a line every {@value #LOG_INTERVAL} s. */
	public static TrainingConsole of(PrintWriter out, PrintWriter err) {
		boolean terminal = System.console() != null;
		return new TrainingConsole(out, err, terminal, terminal ? TERMINAL_INTERVAL : LOG_INTERVAL, System::nanoTime);
	}

	@Override
	public void started(RunInfo info) {
		StringBuilder sb = new StringBuilder(info.method()).append(": ");
		sb.append(info.startStep() > 0 ? "resuming at step " + info.startStep() + " of " + info.totalSteps() :
			info.totalSteps() + " steps");
		sb.append(" in ").append(info.runDir());
		if (info.validationEvery() > 0 && !info.validationPrompts().isEmpty())
			sb.append("; validation every ").append(info.validationEvery()).append(" steps on ")
				.append(info.validationPrompts().size()).append(" prompt").append(info.validationPrompts().size() == 1 ? "" : "s");
		line(sb.toString());
	}

	@Override
	public void step(StepReport r) {
		last = r;
		long now = clock.getAsLong();
		boolean first = lastStepShown < 0, end = r.step() >= r.totalSteps();
		if (!first && !end && now - lastPrint < intervalNanos) return;
		lastPrint = now;
		lastStepShown = r.step();
		show(format(r), end);
	}

	/** The progress line: rewritten in place on a terminal (ended when {@code end}), else one line. */
	private void show(String text, boolean end) {
		if (terminal) {
			err.print("\r" + text + " ".repeat(Math.max(0, lineLength - text.length())));
			lineLength = text.length();
			if (end) endLine();
			err.flush();
		}
		else err.println(text);
	}

	/** "step 120/1000 (12%)  loss 0.1234  avg 0.1301  lr 1.00e-04  0.84 s/step  ETA 12m20s". */
	static String format(StepReport r) {
		return String.format(Locale.ROOT, "step %d/%d (%d%%)  loss %.4f  avg %.4f  lr %.2e  %s s/step  ETA %s", r.step(),
			r.totalSteps(), r.totalSteps() > 0 ? Math.round(100.0 * r.step() / r.totalSteps()) : 0, r.loss(),
			r.smoothedLoss(), r.learningRate(), seconds(r.secondsPerStep()), Durations.format(r.etaSeconds()));
	}

	private static String seconds(double s) {
		if (!Double.isFinite(s)) return "?";
		return s >= 10 ? String.format(Locale.ROOT, "%.0f", s) : String.format(Locale.ROOT, "%.2f", s);
	}

	@Override
	public void validationLoss(int step, double loss, boolean best) {
		line(String.format(Locale.ROOT, "validation loss at step %d: %.4f%s", step, loss, best ? " (best so far)" : ""));
	}

	@Override
	public void validationImage(int step, int index, int count, GeneratedImage image, Path png) {
		result("validation image " + (index + 1) + "/" + count + " at step " + step + ": " + png);
	}

	@Override
	public void checkpointSaved(int step, Path folder) {
		result("checkpoint at step " + step + ": " + folder);
	}

	@Override
	public void message(String text) {
		line("note: " + text);
	}

	@Override
	public void finished(TrainingResult r) {
		if (last != null && lastStepShown != last.step()) {
			// the last step's line was held back by the interval: show where the run ended
			lastStepShown = last.step();
			show(format(last), true);
		}
		switch (r.status()) {
			case FINISHED -> {
				result("finished at step " + r.step() + " in " + r.runDir() + lossText(r));
				for (Path p : r.outputs()) result("wrote " + p);
				if (r.best() != null) result("best validation loss " + String.format(Locale.ROOT, "%.4f",
					r.bestValidationLoss()) + ": " + r.best());
			}
			case CANCELLED -> result("cancelled at step " + r.step() + "; the checkpoint in " + r.runDir() +
				" resumes it");
			case FAILED -> line("training failed at step " + r.step() + ": " + Main.oneLine(r.error()) +
				" (earlier checkpoints in " + r.runDir() + " are intact)");
		}
		out.flush();
		err.flush();
	}

	private static String lossText(TrainingResult r) {
		return Double.isFinite(r.lastLoss()) ? String.format(Locale.ROOT, " (last loss %.4f)", r.lastLoss()) : "";
	}

	@Override
	public Request poll() {
		if (Thread.interrupted()) cancelRequested = true;
		return cancelRequested ? Request.CANCEL : Request.NONE;
	}

	/** A progress line of its own on stderr (the in-place line, if any, is ended first). */
	private void line(String text) {
		endLine();
		err.println(text);
		err.flush();
	}

	/** A result line on stdout. */
	private void result(String text) {
		endLine();
		err.flush();
		out.println(text);
		out.flush();
	}

	private void endLine() {
		if (terminal && lineLength > 0) {
			err.println();
			lineLength = 0;
		}
	}
}
