package io.github.diffusej.model.nn;

import com.sun.jna.Function;

/**
 * Gives the C heap's free pages back to the system ({@code malloc_trim(0)} of glibc). PyTorch's CPU tensors come
 * from malloc; those under glibc's mmap threshold (up to 32 MB) live on the heap, where the temporaries freed
 * between the tensors that autograd keeps for backward leave holes that stay resident. Measured on an SD 1.5 LoRA
 * step at 512 px: 10.9 GB peak RSS as is, 8.4 GB when every freed block goes back at once. Trimming between the
 * blocks of a training forward keeps the holes from adding up. A no-op where there is no glibc (macOS, Windows,
 * musl) or no usable JNA.
 */
public final class NativeHeap {

	private static final Function MALLOC_TRIM = lookup();

	private NativeHeap() {}

	private static Function lookup() {
		if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
		try {
			return Function.getFunction("c", "malloc_trim");
		}
		catch (Throwable e) { // UnsatisfiedLinkError, an old JNA without this method, no JNA at all
			return null;
		}
	}

	/** Whether {@link #trim} does anything on this system. */
	public static boolean available() {
		return MALLOC_TRIM != null;
	}

	/** Returns free heap pages to the system; cheap (a walk over the free lists), so callable between blocks. */
	public static void trim() {
		if (MALLOC_TRIM == null) return;
		try {
			MALLOC_TRIM.invokeInt(new Object[] {0L});
		}
		catch (RuntimeException | LinkageError e) {
			// trimming is an optimisation only
		}
	}
}
