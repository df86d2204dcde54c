package io.github.diffusej.fiji;

import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.train.TrainingListener.Request;
import io.github.diffusej.train.TrainingListener.RunInfo;
import io.github.diffusej.train.TrainingListener.StepReport;
import io.github.diffusej.train.TrainingResult;
import java.awt.Component;
import java.awt.Container;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.swing.AbstractButton;
import javax.swing.JFrame;
import javax.swing.SwingUtilities;

/**
 * Test scope, run under a display by {@link TrainingWindowTest}: a training window fed like a run, its buttons
 * clicked on the event thread and read back with poll() on this thread, then painted into the PNG named by the
 * argument. Prints "SMOKE OK" and exits 0, or exits 1 naming what went wrong.
 */
public final class TrainingWindowSmoke {

	private TrainingWindowSmoke() {}

	public static void main(String[] args) throws Exception {
		TrainingWindow w = new TrainingWindow("LoRA training: smoke", null, null, true);
		w.started(new RunInfo("LoRA", Path.of("run"), 0, 400, List.of("a <my-cell>"), 100));
		java.util.Random r = new java.util.Random(3);
		for (int s = 1; s <= 300; s++) {
			double loss = 0.05 + 0.2 * Math.exp(-s / 80.0) + 0.02 * r.nextGaussian();
			w.step(new StepReport(s, 400, 0, loss, 0.05 + 0.2 * Math.exp(-s / 80.0), 1e-4, 1, 0.3, (400 - s) * 0.3));
			if (s % 100 == 0) {
				w.validationLoss(s, 0.06 + 0.18 * Math.exp(-s / 80.0), true);
				int[] rgb = new int[32 * 32];
				java.util.Arrays.fill(rgb, 0x203040 + s);
				w.validationImage(s, 0, 1, new GeneratedImage(32, 32, rgb, 1, "seed 1: a <my-cell>", "", Map.of()),
					Path.of("v.png"));
			}
		}
		SwingUtilities.invokeAndWait(() -> {}); // the window is built and has drawn
		expect(w.frame() != null && w.frame().isShowing(), "the window is showing");
		click(w.frame(), "Save now");
		expect(w.poll() == Request.SAVE_NOW, "Save now reaches the training thread");
		expect(w.poll() == Request.NONE, "once");
		click(w.frame(), "Finish");
		expect(w.poll() == Request.FINISH, "Finish reaches the training thread");
		click(w.frame(), "Cancel");
		expect(w.poll() == Request.CANCEL, "Cancel reaches the training thread");
		expect(w.validationImages().getWindow() != null, "the validation stack is shown beside the window");
		w.finished(new TrainingResult(TrainingResult.Status.CANCELLED, Path.of("run"), 300, List.of(), null, 0.07, 0.06,
			null));
		Thread.sleep(300);
		SwingUtilities.invokeAndWait(() -> {});
		JFrame f = w.frame();
		BufferedImage shot = new BufferedImage(f.getContentPane().getWidth(), f.getContentPane().getHeight(),
			BufferedImage.TYPE_INT_RGB);
		SwingUtilities.invokeAndWait(() -> f.getContentPane().paint(shot.getGraphics()));
		ImageIO.write(shot, "png", Path.of(args[0]).toFile());
		expect(!findButton(f, "Cancel").isEnabled(), "buttons are off once the run ended");
		System.out.println("SMOKE OK");
		System.exit(0);
	}

	static void expect(boolean ok, String what) {
		if (ok) return;
		System.out.println("SMOKE FAILED: " + what);
		System.exit(1);
	}

	static void click(JFrame f, String text) throws Exception {
		AbstractButton b = findButton(f, text);
		expect(b != null, "a '" + text + "' button");
		SwingUtilities.invokeAndWait(b::doClick);
	}

	static AbstractButton findButton(Container c, String text) {
		for (Component k : c.getComponents()) {
			if (k instanceof AbstractButton b && text.equals(b.getText())) return b;
			if (k instanceof Container inner) {
				AbstractButton b = findButton(inner, text);
				if (b != null) return b;
			}
		}
		return null;
	}
}
