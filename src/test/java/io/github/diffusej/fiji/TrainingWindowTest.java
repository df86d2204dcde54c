package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.train.TrainingListener.Request;
import io.github.diffusej.train.TrainingListener.RunInfo;
import io.github.diffusej.train.TrainingListener.StepReport;
import io.github.diffusej.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.app.event.StatusEvent;
import org.scijava.event.EventHandler;
import org.scijava.event.EventService;

/** The training window's state, requests and plot data (headless), and a smoke run of the real window under Xvfb. */
class TrainingWindowTest {

	@TempDir
	Path tmp;

	static Context context;

	@BeforeAll
	static void start() {
		context = new Context(StatusService.class, EventService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	static StepReport step(int s, int total) {
		return new StepReport(s, total, 0, 0.2 / Math.sqrt(s), 0.2 / Math.sqrt(s) + 0.01, 1e-4, 1, 0.5, (total - s) * 0.5);
	}

	static GeneratedImage image(int value) {
		int[] rgb = new int[8 * 8];
		java.util.Arrays.fill(rgb, value);
		return new GeneratedImage(8, 8, rgb, 42, "seed 42: a micrograph of <my-cell>", "", Map.of());
	}

	@Test
	void requestsFromTheButtonsReachTheTrainingThreadOnce() {
		AtomicBoolean commandCancelled = new AtomicBoolean();
		TrainingWindow w = new TrainingWindow("LoRA training", null, commandCancelled::get, false);
		assertEquals(Request.NONE, w.poll());
		w.requestSaveNow();
		assertEquals(Request.SAVE_NOW, w.poll());
		assertEquals(Request.NONE, w.poll(), "Save now is a one-shot request");
		w.requestFinish();
		w.requestSaveNow();
		assertEquals(Request.FINISH, w.poll(), "Finish outranks a pending save (the export saves anyway)");
		assertEquals(Request.FINISH, w.poll(), "and holds");
		w.requestCancel();
		assertEquals(Request.CANCEL, w.poll(), "Cancel outranks Finish");
		TrainingWindow other = new TrainingWindow("t", null, commandCancelled::get, false);
		commandCancelled.set(true);
		assertEquals(Request.CANCEL, other.poll(), "a cancel of the command (Esc) cancels the run");
		TrainingWindow third = new TrainingWindow("t", null, null, false);
		Thread.currentThread().interrupt();
		assertEquals(Request.CANCEL, third.poll());
		assertFalse(Thread.currentThread().isInterrupted(), "cleared so that the checkpoint can be written");
		assertEquals(Request.CANCEL, third.poll());
	}

	@Test
	void saveNowIsNeitherLostNorDoubledAcrossThreads() throws Exception {
		TrainingWindow w = new TrainingWindow("t", null, null, false);
		AtomicInteger saves = new AtomicInteger();
		AtomicBoolean done = new AtomicBoolean();
		Thread trainer = new Thread(() -> {
			while (!done.get()) if (w.poll() == Request.SAVE_NOW) saves.incrementAndGet();
			if (w.poll() == Request.SAVE_NOW) saves.incrementAndGet();
		});
		trainer.start();
		int clicks = 0;
		for (int i = 0; i < 200; i++) {
			w.requestSaveNow();
			clicks++;
			Thread.sleep(1);
		}
		Thread.sleep(20);
		done.set(true);
		trainer.join(10_000);
		assertTrue(saves.get() >= 1 && saves.get() <= clicks, saves + " saves for " + clicks + " clicks");
		assertEquals(Request.NONE, w.poll(), "nothing left over");
	}

	@Test
	void stepsFeedThePlotTheTextsTheStatusBarAndTheValidationStack() throws Exception {
		List<StatusEvent> events = Collections.synchronizedList(new ArrayList<>());
		Object spy = new Object() {

			@EventHandler
			void onStatus(StatusEvent e) {
				events.add(e);
			}
		};
		context.service(EventService.class).subscribe(spy);
		TrainingStatus listener = TrainingWindow.forCommand("LoRA training", context.service(StatusService.class), null);
		assertFalse(listener instanceof TrainingWindow, "headless: the status bar only");
		TrainingWindow w = new TrainingWindow("LoRA training", context.service(StatusService.class), null, false);
		for (TrainingStatus l : List.of(listener, w)) {
			l.started(new RunInfo("LoRA", tmp, 0, 100, List.of("a <my-cell>"), 50));
			for (int s = 1; s <= 60; s++) l.step(step(s, 100));
			l.validationLoss(50, 0.031, true);
		}
		assertEquals(60, w.curve().snapshot().size());
		assertEquals(100, w.curve().snapshot().totalSteps());
		assertEquals(0.031f, w.curve().snapshot().validation()[0]);
		assertEquals("step 60/100 (60%)   0.50 s/step   ETA 20s", w.progressText());
		assertTrue(w.lossText().startsWith("loss 0.0258 (avg 0.0358)") && w.lossText().endsWith("best validation 0.0310"),
			w.lossText());
		assertEquals("learning rate 1.00e-04", w.rateText());
		assertTrue(events.stream().anyMatch(e -> e.getProgressValue() == 60 && e.getProgressMaximum() == 100));
		assertTrue(events.stream().anyMatch(e -> e.getStatusMessage() != null &&
			e.getStatusMessage().startsWith("LoRA: step 60/100, loss 0.0258")),
			"status line");

		assertNull(w.validationImages());
		w.validationImage(50, 0, 2, image(0x102030), tmp.resolve("v0.png"));
		w.validationImage(50, 1, 2, image(0x405060), tmp.resolve("v1.png"));
		w.validationImage(100, 0, 2, image(0x708090), tmp.resolve("v2.png"));
		assertEquals(3, w.validationImages().getStackSize(), "the stack grows");
		assertEquals("step 100, seed 42: a micrograph of <my-cell>", w.validationImages().getStack().getSliceLabel(3));
		assertEquals("LoRA validation images", w.validationImages().getTitle());

		w.checkpointSaved(60, tmp.resolve("checkpoint-60"));
		assertEquals("checkpoint saved at step 60", w.stateText());
		w.finished(new TrainingResult(TrainingResult.Status.CANCELLED, tmp, 60, List.of(), null, Double.NaN, 0.02, null));
		assertEquals("cancelled at step 60; the checkpoint resumes it", w.stateText());
	}

	/** The real window under Xvfb: built, fed, its buttons clicked, painted. */
	@Test
	void theWindowRunsUnderADisplay() throws Exception {
		Path png = tmp.resolve("training-window.png");
		List<String> cmd = new ArrayList<>(List.of("timeout", "120"));
		if (System.getenv("DISPLAY") == null) cmd.addAll(List.of("xvfb-run", "-a"));
		cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
			"-Djava.util.prefs.userRoot=" + tmp.resolve("prefs"), "-cp", System.getProperty("java.class.path"),
			TrainingWindowSmoke.class.getName(), png.toString()));
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes());
		assertTrue(p.waitFor(3, TimeUnit.MINUTES));
		assertEquals(0, p.exitValue(), out);
		assertTrue(out.contains("SMOKE OK"), out);
		var img = ImageIO.read(png.toFile());
		assertTrue(img.getWidth() >= 640 && img.getHeight() >= 400, img.getWidth() + "x" + img.getHeight());
		assertTrue(Files.size(png) > 10_000, "a painted window, not a blank one");
	}
}
