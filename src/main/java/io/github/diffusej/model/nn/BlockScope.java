package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs one network block so that everything it computes is freed when it returns, except its result. The block's
 * body runs in an {@link NDScope} (DJL registers every new PyTorch array with the innermost open scope, whatever
 * its manager); on return the scope closes all of them. The result handed back is a fresh view of what the body
 * returned, registered with the enclosing scope, so a parent block frees it in turn, and an array that existed
 * before (an input returned unchanged) is never closed by mistake.
 *
 * <p>Closing a DJL array releases only its Java handle: under a {@code GradientCollector} autograd keeps the
 * tensors backward needs, so the gradients stay exact while everything else is freed. Inference memory is thus the
 * weights plus the working set of the largest block.
 */
public final class BlockScope {

	/**
	 * Off only inside {@link #unscoped} (or for a whole JVM run with {@code -Ddiffusej.blockScopes=false}, to rule
	 * scoping out when hunting a bug): blocks then keep every temporary until their caller's manager closes.
	 */
	private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(
		() -> !"false".equals(System.getProperty("diffusej.blockScopes")));

	private BlockScope() {}

	/**
	 * Runs {@code body} with block scoping and early freeing switched off on this thread: the reference that tests
	 * compare the scoped networks against (same ops, nothing closed before the caller's manager closes).
	 */
	public static <T> T unscoped(Supplier<T> body) {
		boolean before = ENABLED.get();
		ENABLED.set(false);
		try {
			return body.get();
		}
		finally {
			ENABLED.set(before);
		}
	}

	/** Runs {@code body}; every array it creates is closed on return except the result. */
	public static NDArray run(Supplier<NDArray> body) {
		if (!ENABLED.get()) return body.get();
		NDArray kept;
		NDScope scope = new NDScope();
		try {
			NDArray out = body.get();
			kept = out.reshape(out.getShape()); // a new handle on the same storage, owned by the caller's scope
			NDScope.unregister(kept);
		}
		finally {
			scope.close();
		}
		NDScope.register(kept);
		return kept;
	}

	/** {@link #run} for a block with several results (a UNet down block's skip connections). */
	public static NDList runAll(Supplier<NDList> body) {
		if (!ENABLED.get()) return body.get();
		NDList kept = new NDList();
		NDScope scope = new NDScope();
		try {
			for (NDArray out : body.get()) {
				NDArray k = out.reshape(out.getShape());
				NDScope.unregister(k);
				kept.add(k);
			}
		}
		finally {
			scope.close();
		}
		for (NDArray k : kept) NDScope.register(k);
		return kept;
	}

	/** Closes a temporary that is dead from here on (frees it now rather than at the end of its block). */
	public static void free(NDArray... dead) {
		if (!ENABLED.get()) return;
		for (NDArray a : dead) {
			if (a != null) a.close();
		}
	}

	/** {@link #free} for every array of a list. */
	public static void free(NDList dead) {
		if (ENABLED.get()) dead.close();
	}
}
