package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folder resolution (single file, shards, fp16 variant), dtype conversion and duplicate keys. */
class SafetensorsWeightsTest {

	@TempDir
	Path dir;

	@Test
	void shardsAreMergedAndHalfFilesWidened() throws IOException {
		new SafetensorsWriter().putFloats("a", new long[] {2}, new float[] {1, 2}).write(dir.resolve(
			"diffusion_pytorch_model-00001-of-00002.safetensors"));
		new SafetensorsWriter().putFloatsAsF16("b", new long[] {1, 2}, new float[] {0.5f, -3}).write(dir.resolve(
			"diffusion_pytorch_model-00002-of-00002.safetensors"));
		new SafetensorsWriter().putFloats("ignored", new long[] {1}, new float[] {9}).write(dir.resolve(
			"diffusion_pytorch_model.fp16.safetensors"));
		try (SafetensorsWeights w = SafetensorsWeights.openFolder(dir); NDManager m = NDManager.newBaseManager()) {
			assertEquals(Set.of("a", "b"), w.keys());
			assertArrayEquals(new long[] {1, 2}, w.shape("b"));
			assertArrayEquals(new float[] {0.5f, -3}, w.load("b", m, DataType.FLOAT32).toFloatArray());
			assertEquals(DataType.FLOAT16, w.load("a", m, DataType.FLOAT16).getDataType());
			IOException e = assertThrows(IOException.class, () -> w.load("c", m, DataType.FLOAT32));
			assertTrue(e.getMessage().contains("'c'"), e.getMessage());
		}
	}

	@Test
	void preferredFileWinsAndDuplicatesAreRefused() throws IOException {
		new SafetensorsWriter().putFloats("x", new long[] {1}, new float[] {1}).write(dir.resolve(
			"diffusion_pytorch_model.safetensors"));
		new SafetensorsWriter().putFloats("x", new long[] {1}, new float[] {2}).write(dir.resolve("other.safetensors"));
		try (SafetensorsWeights w = SafetensorsWeights.openFolder(dir)) {
			assertEquals(dir.resolve("diffusion_pytorch_model.safetensors").toString(), w.describe());
		}
		IOException e = assertThrows(IOException.class, () -> SafetensorsWeights.open(dir.resolve(
			"diffusion_pytorch_model.safetensors"), dir.resolve("other.safetensors")));
		assertTrue(e.getMessage().contains("'x' is in both"), e.getMessage());
		IOException none = assertThrows(IOException.class, () -> SafetensorsWeights.openFolder(dir.resolve("nope")));
		assertTrue(none.getMessage().contains("nope"), none.getMessage());
	}
}
