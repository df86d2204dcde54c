package io.github.diffusej.model.nn;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Per-thread gradient recording switch. PyTorch records graphs on every thread whose grad mode is on, even with
 * no GradientCollector open; inference threads (Fiji command threads) should call {@link #noGrad()} first so
 * forwards through trainable adapters or token rows build no graph.
 */
public final class GradMode implements AutoCloseable {

	private final boolean previous;

	private GradMode(boolean on) {
		previous = set(on);
	}

	/** Turns recording off on this thread until {@link #close()} restores the previous mode. */
	public static GradMode noGrad() {
		return new GradMode(false);
	}

	/** Whether this thread records autograd graphs now (a GradientCollector is open, or the mode was left on). */
	public static boolean isRecording() {
		return "PyTorch".equals(Engine.getInstance().getEngineName()) && JniUtils.isGradMode();
	}

	/** Sets this thread's grad mode; returns the previous one. A no-op (returning false) on other engines. */
	public static boolean set(boolean on) {
		if (!"PyTorch".equals(Engine.getInstance().getEngineName())) return false;
		boolean prev = JniUtils.isGradMode();
		JniUtils.setGradMode(on);
		return prev;
	}

	@Override
	public void close() {
		set(previous);
	}
}
