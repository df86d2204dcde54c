package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The memory of a multistep sampler (DPM-Solver++ 2M/3M, PNDM/PLMS): the last few model outputs, newest last,
 * an optional saved sample, and the index of the step expected next.
 *
 * <p>Callers usually close a sub-manager after every step, so arrays that must survive into later steps are
 * moved into a manager owned by this object (created on the first {@link #keep}, on the sample's device). It is
 * closed by {@link #clear()}, which the samplers call from {@code setTimesteps}, {@code reset} and after the last
 * step, so nothing outlives one image. Arrays passed in by the caller are copied, never taken away.
 */
final class History {

	private final NDArray[] outputs;
	private int size;
	private NDManager manager;
	/** The sample saved by PLMS's first step and reused by its second. */
	NDArray savedSample;
	/** The step index expected next. */
	int nextStep;

	History(int capacity) {
		outputs = new NDArray[capacity];
	}

	/** Appends a model output, dropping (and freeing) the oldest when full. */
	void push(NDArray m, boolean callerOwned) {
		NDArray kept = keep(m, callerOwned);
		if (size == outputs.length) {
			outputs[0].close();
			System.arraycopy(outputs, 1, outputs, 0, outputs.length - 1);
			size--;
		}
		outputs[size++] = kept;
	}

	/** Number of stored outputs. */
	int size() {
		return size;
	}

	/** The k-th newest output (k = 0 is the newest). */
	NDArray back(int k) {
		return outputs[size - 1 - k];
	}

	/** Moves {@code a} (or a copy of it, if it belongs to the caller) into the history's own manager. */
	NDArray keep(NDArray a, boolean callerOwned) {
		if (manager == null) manager = NDManager.newBaseManager(a.getDevice());
		NDArray k = callerOwned ? a.duplicate() : a;
		k.attach(manager);
		return k;
	}

	/** Frees everything and starts over at step 0. */
	void clear() {
		java.util.Arrays.fill(outputs, null);
		size = 0;
		savedSample = null;
		nextStep = 0;
		if (manager != null) {
			manager.close();
			manager = null;
		}
	}

	/** Fails unless {@code stepIndex} is the step expected next. */
	void expect(int stepIndex, String sampler) {
		if (stepIndex != nextStep)
			throw new IllegalStateException(sampler + " keeps a history: expected step " + nextStep + ", got "
				+ stepIndex + " (call reset() or setTimesteps() to start a new image)");
	}

	/** A result computed from history arrays belongs to the history's manager: hand it to the caller's. */
	static NDArray toCaller(NDArray result, NDManager caller) {
		result.attach(caller);
		return result;
	}
}
