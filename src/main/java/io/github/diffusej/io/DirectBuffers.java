package io.github.diffusej.io;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct or memory-mapped buffer now instead of when the garbage collector gets to it: a mapping is
 * unmapped, so its file pages leave the process's resident memory, and direct memory returns to the system. Uses
 * {@code sun.misc.Unsafe.invokeCleaner} (JDK 9+, module jdk.unsupported); where that is missing the buffer is
 * left to the collector, which frees it later.
 */
final class DirectBuffers {

	private static final Object UNSAFE;
	private static final Method INVOKE_CLEANER;

	static {
		Object u = null;
		Method m = null;
		try {
			Class<?> c = Class.forName("sun.misc.Unsafe");
			Field f = c.getDeclaredField("theUnsafe");
			f.setAccessible(true);
			u = f.get(null);
			m = c.getMethod("invokeCleaner", ByteBuffer.class);
		}
		catch (ReflectiveOperationException | RuntimeException e) {
			u = null;
			m = null;
		}
		UNSAFE = u;
		INVOKE_CLEANER = m;
	}

	private DirectBuffers() {}

	/** Frees {@code b} (a buffer from {@code allocateDirect} or {@code FileChannel.map}, not a slice); never use it again. */
	static void free(ByteBuffer b) {
		if (INVOKE_CLEANER == null || !b.isDirect()) return;
		try {
			INVOKE_CLEANER.invoke(UNSAFE, b);
		}
		catch (ReflectiveOperationException | RuntimeException e) {
			// a slice or duplicate has no cleaner of its own: the collector frees it with its parent
		}
	}
}
