package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.diffusej.model.nn.NativeHeap;

/**
 * A UNet forward made for a training step ({@link UNet2DConditionModel#forwardForTraining}): its output, and the
 * backward that matches how it was computed (plain autograd, or gradient checkpointing's block-by-block recompute).
 * Compute the loss from {@link #output()}, then call one of the {@code backward} methods once, inside the same
 * {@code GradientCollector}.
 */
public abstract class TrainingForward {

	private NDArray output;
	private boolean done;

	TrainingForward() {}

	void setOutput(NDArray output) {
		this.output = output;
	}

	/** The UNet's prediction [B, C, H, W], with its graph. */
	public NDArray output() {
		return output;
	}

	/** Back-propagates a scalar {@code loss} computed from {@link #output()} ({@code gc.backward(loss)}, then more). */
	public final void backward(GradientCollector gc, NDArray loss) {
		start();
		gc.backward(loss);
		afterLoss();
	}

	/**
	 * Back-propagates {@code loss} seeded with {@code lossGrad} (same shape as the loss), e.g. a loss scale or a
	 * micro-batch weight, as {@code loss.backward(lossGrad)} does.
	 */
	public final void backward(NDArray loss, NDArray lossGrad) {
		start();
		JniUtils.backward((PtNDArray) loss, (PtNDArray) lossGrad, false, false);
		afterLoss();
	}

	private void start() {
		if (done) throw new IllegalStateException("backward was already run for this forward");
		done = true;
		NativeHeap.trim(); // the loss's temporaries are freed: backward starts from what the graph keeps
	}

	/** What is left to do once the loss's own graph has been back-propagated to the output. */
	abstract void afterLoss();

	static TrainingForward plain(NDArray output) {
		TrainingForward f = new TrainingForward() {

			@Override
			void afterLoss() {}
		};
		f.setOutput(output);
		return f;
	}
}
