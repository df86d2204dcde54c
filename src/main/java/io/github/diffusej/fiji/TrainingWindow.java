package io.github.diffusej.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.ImageWindow;
import ij.process.ColorProcessor;
import io.github.diffusej.Durations;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.train.LossCurve;
import io.github.diffusej.train.TrainingResult;
import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Graphics;
import java.awt.GraphicsEnvironment;
import java.awt.GridLayout;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.SwingUtilities;
import javax.swing.WindowConstants;
import org.scijava.app.StatusService;

/**
 * The training window of Fiji, in the manner of N2V-Fiji's: a live loss plot ({@link LossCurve}: raw points,
 * smoothed line, validation loss), step / total, learning rate, seconds per step and ETA, the validation images
 * growing in an ImageJ stack beside it, and three buttons. <b>Cancel</b> stops the run, which saves a resumable
 * checkpoint; <b>Save now</b> writes a checkpoint and goes on; <b>Finish</b> stops and exports as if the last step
 * had been reached. The buttons only record a request (on the event thread); the training thread reads it with
 * {@link #poll()} between steps. Progress also goes to the status bar ({@link TrainingStatus}).
 *
 * <p>Headless nothing is shown ({@link #forCommand} then gives the status bar adapter alone); the state, the
 * requests and the plot data work the same either way.
 */
public final class TrainingWindow extends TrainingStatus {

	private final String title;
	private final boolean gui;
	private final LossCurve curve;
	private final AtomicBoolean cancel = new AtomicBoolean(), finish = new AtomicBoolean(),
		saveNow = new AtomicBoolean();
	private final AtomicBoolean repaintPending = new AtomicBoolean();
	private volatile StepReport last;
	private volatile RunInfo info;
	private volatile String state = "starting";
	private volatile double bestValidation = Double.NaN;
	private ImagePlus validation;

	// Swing parts, touched on the event thread only
	private JFrame frame;
	private JLabel progressLabel, lossLabel, rateLabel, stateLabel;
	private JButton cancelButton, saveButton, finishButton;
	private PlotPanel plot;

	/**
	 * @param title the window's title, e.g. "LoRA training: cells"
	 * @param status Fiji's status bar (may be null)
	 * @param cancelled whether the command was cancelled (its Cancel, Esc); null: never
	 * @param gui whether to show the window (false: state only, e.g. headless)
	 */
	public TrainingWindow(String title, StatusService status, BooleanSupplier cancelled, boolean gui) {
		super(status, cancelled);
		this.title = title;
		this.gui = gui && !GraphicsEnvironment.isHeadless();
		this.curve = new LossCurve(title);
		if (this.gui) SwingUtilities.invokeLater(this::build);
	}

	/** The window where there is a display, else the status bar alone. */
	public static TrainingStatus forCommand(String title, StatusService status, BooleanSupplier cancelled) {
		return GraphicsEnvironment.isHeadless() ? new TrainingStatus(status, cancelled) :
			new TrainingWindow(title, status, cancelled, true);
	}

	// -- requests (the buttons; public for scripts and tests) --

	/** Cancel: stop now; the run saves a resumable checkpoint. */
	public void requestCancel() {
		cancel.set(true);
		state = "cancelling: saving a checkpoint";
		refresh();
	}

	/** Finish: stop after this step and export the results. */
	public void requestFinish() {
		finish.set(true);
		state = "finishing: exporting";
		refresh();
	}

	/** Save now: write a checkpoint at the next step and go on. */
	public void requestSaveNow() {
		saveNow.set(true);
		state = "saving a checkpoint";
		refresh();
	}

	/**
	 * What the user asked for: CANCEL (also after a cancel of the command or an interrupt) and FINISH hold until
	 * the run ends; SAVE_NOW is reported once.
	 */
	@Override
	public Request poll() {
		if (super.poll() == Request.CANCEL || cancel.get()) return Request.CANCEL;
		if (finish.get()) return Request.FINISH;
		return saveNow.getAndSet(false) ? Request.SAVE_NOW : Request.NONE;
	}

	// -- the run's reports --

	@Override
	public void started(RunInfo runInfo) {
		super.started(runInfo);
		info = runInfo;
		curve.setTotalSteps(runInfo.totalSteps());
		state = runInfo.startStep() > 0 ? "resumed at step " + runInfo.startStep() : "training";
		refresh();
	}

	@Override
	public void step(StepReport r) {
		super.step(r);
		last = r;
		curve.add(r.step(), r.loss(), r.smoothedLoss());
		refresh();
	}

	@Override
	public void validationLoss(int step, double loss, boolean best) {
		curve.addValidation(step, loss);
		if (best || Double.isNaN(bestValidation)) bestValidation = loss;
		refresh();
	}

	@Override
	public void validationImage(int step, int index, int count, GeneratedImage image, Path png) {
		String label = "step " + step + ", " + image.label();
		ColorProcessor cp = new ColorProcessor(image.width(), image.height(), image.rgb().clone());
		synchronized (this) {
			if (validation == null) {
				ImageStack stack = new ImageStack(image.width(), image.height());
				stack.addSlice(label, cp);
				validation = new ImagePlus(method() + " validation images", stack);
				if (gui) SwingUtilities.invokeLater(this::showValidation);
			}
			else if (validation.getWidth() == image.width() && validation.getHeight() == image.height()) {
				ImageStack stack = validation.getStack();
				stack.addSlice(label, cp);
				validation.setStack(stack);
				validation.setSlice(stack.getSize());
				if (gui) validation.updateAndDraw();
			}
		}
	}

	@Override
	public void checkpointSaved(int step, Path folder) {
		super.checkpointSaved(step, folder);
		state = "checkpoint saved at step " + step;
		refresh();
	}

	@Override
	public void message(String text) {
		state = text;
		if (gui) ij.IJ.log(method() + ": " + text);
		refresh();
	}

	@Override
	public void finished(TrainingResult result) {
		super.finished(result);
		state = switch (result.status()) {
			case FINISHED -> "finished at step " + result.step();
			case CANCELLED -> "cancelled at step " + result.step() + "; the checkpoint resumes it";
			case FAILED -> "failed: " + result.error();
		};
		if (gui) SwingUtilities.invokeLater(() -> {
			if (cancelButton == null) return;
			cancelButton.setEnabled(false);
			saveButton.setEnabled(false);
			finishButton.setEnabled(false);
			update();
		});
	}

	/**
	 * Closes the window (the validation images stay open): for a run that could not start, whose error the
	 * command reports instead.
	 */
	public void dispose() {
		if (gui) SwingUtilities.invokeLater(() -> {
			if (frame != null) frame.dispose();
		});
	}

	// -- state, for the window and tests --

	/** The loss plot's data. */
	public LossCurve curve() {
		return curve;
	}

	/** The validation images so far (null before the first). */
	public synchronized ImagePlus validationImages() {
		return validation;
	}

	/** "step 120/1000" etc., as the window shows it. */
	public String progressText() {
		StepReport r = last;
		if (r == null) return "step 0/" + (info == null ? "?" : info.totalSteps());
		return String.format(Locale.ROOT, "step %d/%d (%d%%)   %.2f s/step   ETA %s", r.step(), r.totalSteps(),
			r.totalSteps() > 0 ? Math.round(100.0 * r.step() / r.totalSteps()) : 0, r.secondsPerStep(),
			Durations.format(r.etaSeconds()));
	}

	/** "loss 0.1234 (avg 0.1301)   validation 0.1011 (best)". */
	public String lossText() {
		StepReport r = last;
		String s = r == null ? "loss -" : String.format(Locale.ROOT, "loss %.4f (avg %.4f)", r.loss(), r.smoothedLoss());
		double v = bestValidation;
		return Double.isNaN(v) ? s : s + String.format(Locale.ROOT, "   best validation %.4f", v);
	}

	/** "learning rate 1.00e-04". */
	public String rateText() {
		StepReport r = last;
		return r == null ? "learning rate -" : String.format(Locale.ROOT, "learning rate %.2e", r.learningRate());
	}

	/** What the run is doing ("training", "saving a checkpoint", "finished at step 1000"). */
	public String stateText() {
		return state;
	}

	/** The window (null headless or before it is built); for tests and screenshots. */
	JFrame frame() {
		return frame;
	}

	// -- Swing --

	private void build() {
		frame = new JFrame(title);
		frame.setDefaultCloseOperation(WindowConstants.DO_NOTHING_ON_CLOSE); // closing must not lose a run: use the buttons
		plot = new PlotPanel();
		progressLabel = new JLabel();
		lossLabel = new JLabel();
		rateLabel = new JLabel();
		stateLabel = new JLabel();
		JPanel labels = new JPanel(new GridLayout(0, 1, 0, 2));
		labels.setBorder(BorderFactory.createEmptyBorder(6, 10, 6, 10));
		labels.add(progressLabel);
		labels.add(lossLabel);
		labels.add(rateLabel);
		labels.add(stateLabel);
		cancelButton = new JButton("Cancel");
		cancelButton.setToolTipText("Stop now; a checkpoint is saved so that the run can be resumed");
		cancelButton.addActionListener(e -> requestCancel());
		saveButton = new JButton("Save now");
		saveButton.setToolTipText("Write a checkpoint at the next step and go on");
		saveButton.addActionListener(e -> requestSaveNow());
		finishButton = new JButton("Finish");
		finishButton.setToolTipText("Stop and export the results as if the last step had been reached");
		finishButton.addActionListener(e -> requestFinish());
		JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT));
		buttons.add(saveButton);
		buttons.add(finishButton);
		buttons.add(cancelButton);
		JPanel south = new JPanel(new BorderLayout());
		south.add(labels, BorderLayout.CENTER);
		south.add(buttons, BorderLayout.SOUTH);
		frame.getContentPane().add(plot, BorderLayout.CENTER);
		frame.getContentPane().add(south, BorderLayout.SOUTH);
		frame.pack();
		frame.setLocationByPlatform(true);
		update();
		frame.setVisible(true);
	}

	private void showValidation() {
		ImagePlus v;
		synchronized (this) {
			v = validation;
		}
		v.show();
		ImageWindow w = v.getWindow();
		if (w != null && frame != null) w.setLocation(frame.getX() + frame.getWidth() + 8, frame.getY());
	}

	/** Redraws on the event thread, at most one redraw waiting at a time (steps can come faster than paints). */
	private void refresh() {
		if (!gui || !repaintPending.compareAndSet(false, true)) return;
		SwingUtilities.invokeLater(() -> {
			repaintPending.set(false);
			update();
		});
	}

	private void update() {
		if (frame == null) return;
		progressLabel.setText(progressText());
		lossLabel.setText(lossText());
		rateLabel.setText(rateText());
		stateLabel.setText(stateText());
		plot.repaint();
	}

	/** The loss chart, drawn by {@link LossCurve#render} at the panel's size. */
	private final class PlotPanel extends JPanel {

		private static final long serialVersionUID = 1L;

		PlotPanel() {
			setPreferredSize(new Dimension(640, 400));
		}

		@Override
		protected void paintComponent(Graphics g) {
			super.paintComponent(g);
			if (getWidth() < 10 || getHeight() < 10) return;
			BufferedImage img = curve.render(getWidth(), getHeight());
			g.drawImage(img, 0, 0, null);
		}
	}
}
