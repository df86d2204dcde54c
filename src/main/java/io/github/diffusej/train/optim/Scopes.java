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

	/** Removes {@code a} from the innermost open scope (if any) and returns it; its manager still owns it. */
	public static NDArray keep(NDArray a) {
		NDScope.unregister(a);
		return a;
	}
}
