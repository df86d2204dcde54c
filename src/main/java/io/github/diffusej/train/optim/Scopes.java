package io.github.diffusej.train.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * The training loop runs each step in an {@link NDScope}, which closes every array created while it is open,
 * whatever its manager. State that must outlive the step (optimizer moments, EMA copies, caches) is taken out of
 * the scope with {@link #keep} right where it is created.
 */
public final class Scopes {

	private Scopes() {}

	/**
	 * A copy of {@code a} in PyTorch's own memory on {@code manager}'s device. Arrays made from Java data (a
	 * checkpoint read back) live in a Java buffer that goes away with their wrapper, and neither
	 * {@code toDevice(same, true)} nor {@code toType(same, true)} copies them: only a clone does.
	 */
	public static NDArray ownedCopy(NDArray a, ai.djl.ndarray.NDManager manager) {
		NDArray moved = a.getDevice().equals(manager.getDevice()) ? a : a.toDevice(manager.getDevice(), true);
		NDArray c = moved.duplicate();
		if (moved != a) moved.close();
		return c;
	}

	/** Removes {@code a} from the innermost open scope (if any) and returns it; its manager still owns it. */
	public static NDArray keep(NDArray a) {
		NDScope.unregister(a);
		return a;
	}
}
