package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loaded weights own their memory: the file mapping is released after the copy, so a model is not resident twice
 * (once in its arrays, once as mapped file pages), and the arrays survive the file being closed and replaced.
 */
class SafetensorsResidencyTest {

	private static final int N = 16 << 20; // 64 MB of float32

	@Test
	void loadedTensorsDoNotKeepFilePagesMapped(@TempDir Path dir) throws IOException {
		Path file = dir.resolve("big.safetensors");
		float[] v = new float[N];
		for (int i = 0; i < N; i++) v[i] = i % 1000 * 0.5f;
		new SafetensorsWriter().putFloats("w", new long[] {N}, v).putFloatsAsF16("h", new long[] {N / 4},
			java.util.Arrays.copyOf(v, N / 4)).write(file);
		v = null;
		try (NDManager m = NDManager.newBaseManager()) {
			NDArray w;
			NDArray h;
			long before = rssFile();
			try (SafetensorsFile f = SafetensorsFile.open(file)) {
				w = f.load("w", m, DataType.FLOAT32);
				h = f.load("h", m, DataType.FLOAT32);
			}
			assertTrue(w.sum().getFloat() > 0 && h.sum().getFloat() > 0); // a forward reads every weight
			long grown = rssFile() - before;
			assertTrue(grown < (16 << 20), "file-backed RSS grew by " + (grown >> 20) + " MB after loading 80 MB of "
				+ "tensors: the mappings are still resident");
			Files.delete(file); // the arrays are copies: nothing refers to the file any more
			w.addi(1); // and they are writable (a read-only mapping would not be)
			assertEquals(1.5f, w.getFloat(1), 0f);
			assertEquals(0.5f, h.getFloat(1), 0f);
		}
	}

	/** File-backed resident memory of this process ({@code RssFile}), in bytes; the test needs Linux. */
	private static long rssFile() throws IOException {
		for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (l.startsWith("RssFile:")) return 1024 * Long.parseLong(l.replaceAll("[^0-9]", ""));
		}
		org.junit.jupiter.api.Assumptions.assumeTrue(false, "no /proc/self/status RssFile (not Linux)");
		return 0;
	}
}
