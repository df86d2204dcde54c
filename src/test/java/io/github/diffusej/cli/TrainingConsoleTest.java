package io.github.diffusej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.train.TrainingListener;
import io.github.diffusej.train.TrainingListener.StepReport;
import io.github.diffusej.train.TrainingResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The console face of a training run: rate-limited lines in a log, one rewritten line on a terminal, results on stdout. */
class TrainingConsoleTest {

	final StringWriter out = new StringWriter(), err = new StringWriter();
	long now;

	TrainingConsole console(boolean terminal, double interval) {
		return new TrainingConsole(new PrintWriter(out, true), new PrintWriter(err, true), terminal, interval, () -> now);
	}

	static StepReport step(int s) {
		return new StepReport(s, 100, 0, 0.1 + s * 1e-4, 0.12, 1e-4, 1.5, 0.5, (100 - s) * 0.5);
	}

	@Test
	void aLogGetsOneLinePerIntervalPlusTheFirstAndTheLast() {
		TrainingConsole c = console(false, 30);
		c.started(new TrainingListener.RunInfo("LoRA", Path.of("/runs/a"), 0, 100, List.of("a <my-cell>"), 25));
		for (int s = 1; s <= 100; s++) {
			now = s * 1_000_000_000L; // one second per step
			c.step(step(s));
		}
		List<String> lines = err.toString().lines().toList();
		assertEquals("LoRA: 100 steps in /runs/a; validation every 25 steps on 1 prompt", lines.get(0));
		List<String> steps = lines.stream().filter(l -> l.startsWith("step ")).toList();
		assertEquals(List.of(1, 31, 61, 91, 100), steps.stream().map(l -> Integer.parseInt(l.split("[ /]")[1])).toList());
		assertEquals("step 31/100 (31%)  loss 0.1031  avg 0.1200  lr 1.00e-04  0.50 s/step  ETA 35s", steps.get(1));
		assertEquals("", out.toString(), "progress never goes to stdout");
	}

	@Test
	void aTerminalRewritesOneLineAndEndsItBeforeOtherOutput() {
		TrainingConsole c = console(true, 0);
		c.step(step(1));
		c.step(step(2));
		c.validationLoss(2, 0.0987, true);
		c.step(step(3));
		String e = err.toString();
		assertTrue(e.startsWith("\rstep 1/100"), e);
		assertTrue(e.contains("\rstep 2/100"), e);
		assertTrue(e.contains("\nvalidation loss at step 2: 0.0987 (best so far)\n"), "own line: " + e);
		assertFalse(e.substring(e.indexOf("\rstep 2/")).startsWith("\n"));
	}

	@Test
	void resultsGoToStdoutAndTheHeldBackLastStepIsShown() {
		TrainingConsole c = console(false, 1000);
		c.step(step(1));
		now = 5_000_000_000L;
		c.step(step(50)); // held back by the interval
		c.checkpointSaved(50, Path.of("/runs/a/checkpoint-50"));
		c.validationImage(50, 0, 2, null, Path.of("/runs/a/validation/step-50-0.png"));
		c.message("loss is noisy");
		c.finished(new TrainingResult(TrainingResult.Status.CANCELLED, Path.of("/runs/a"), 50, List.of(), null,
			Double.NaN, 0.105, null));
		assertEquals(List.of("checkpoint at step 50: /runs/a/checkpoint-50",
			"validation image 1/2 at step 50: /runs/a/validation/step-50-0.png",
			"cancelled at step 50; the checkpoint in /runs/a resumes it"), out.toString().lines().toList());
		assertTrue(err.toString().contains("note: loss is noisy"));
		assertTrue(err.toString().lines().anyMatch(l -> l.startsWith("step 50/100")), "where the run stopped: " + err);

		StringWriter o2 = new StringWriter();
		TrainingConsole f = new TrainingConsole(new PrintWriter(o2, true), new PrintWriter(new StringWriter(), true),
			false, 0, () -> 0);
		f.finished(new TrainingResult(TrainingResult.Status.FINISHED, Path.of("/runs/b"), 100,
			List.of(Path.of("/runs/b/lora.safetensors")), Path.of("/runs/b/best.safetensors"), 0.0812, 0.1, null));
		assertEquals(List.of("finished at step 100 in /runs/b (last loss 0.1000)", "wrote /runs/b/lora.safetensors",
			"best validation loss 0.0812: /runs/b/best.safetensors"), o2.toString().lines().toList());
	}

	@Test
	void anInterruptBecomesACancelAndStays() {
		TrainingConsole c = console(false, 0);
		assertEquals(TrainingListener.Request.NONE, c.poll());
		Thread.currentThread().interrupt();
		assertEquals(TrainingListener.Request.CANCEL, c.poll());
		assertFalse(Thread.currentThread().isInterrupted(), "cleared, so the checkpoint can be written");
		assertEquals(TrainingListener.Request.CANCEL, c.poll(), "still cancelled");
	}

	@Test
	void aFailureNamesTheError() {
		TrainingConsole c = console(false, 0);
		c.finished(new TrainingResult(TrainingResult.Status.FAILED, Path.of("/runs/c"), 7, List.of(), null, Double.NaN,
			Double.NaN, "loss is NaN at step 7:\nlower the learning rate"));
		assertEquals("training failed at step 7: loss is NaN at step 7:; lower the learning rate (earlier checkpoints " +
			"in /runs/c are intact)", err.toString().strip());
	}
}
