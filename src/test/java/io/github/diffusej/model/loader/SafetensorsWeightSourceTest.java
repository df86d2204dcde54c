package io.github.diffusej.model.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.github.diffusej.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Component-folder resolution (single file, sharded index, fp16 variant skipped), several plain files, dtype
 * conversion and duplicate keys.
 */
class SafetensorsWeightSourceTest {

	@TempDir
	Path dir;

	private void writeShards() throws IOException {
		new SafetensorsWriter().putFloats("a", new long[] {2}, new float[] {1, 2}).write(dir.resolve(
			"diffusion_pytorch_model-00001-of-00002.safetensors"));
		new SafetensorsWriter().putFloatsAsF16("b", new long[] {1, 2}, new float[] {0.5f, -3}).write(dir.resolve(
			"diffusion_pytorch_model-00002-of-00002.safetensors"));
		new SafetensorsWriter().putFloats("ignored", new long[] {1}, new float[] {9}).write(dir.resolve(
			"diffusion_pytorch_model.fp16.safetensors"));
	}

	@Test
	void shardsAreMergedAndHalfFilesWidened() throws IOException {
		writeShards();
		JsonObject map = new JsonObject();
		map.addProperty("a", "diffusion_pytorch_model-00001-of-00002.safetensors");
		map.addProperty("b", "diffusion_pytorch_model-00002-of-00002.safetensors");
		JsonObject index = new JsonObject();
		index.add("weight_map", map);
		Files.writeString(dir.resolve("diffusion_pytorch_model.safetensors.index.json"), index.toString());
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir);
			NDManager m = NDManager.newBaseManager())
		{
			assertEquals(dir.resolve("diffusion_pytorch_model.safetensors.index.json").toString(), w.describe());
			assertEquals(Set.of("a", "b"), w.keys());
			assertArrayEquals(new long[] {1, 2}, w.shape("b"));
			assertArrayEquals(new float[] {0.5f, -3}, w.load("b", m, DataType.FLOAT32).toFloatArray());
			assertEquals(DataType.FLOAT16, w.load("a", m, DataType.FLOAT16).getDataType());
			IOException e = assertThrows(IOException.class, () -> w.load("c", m, DataType.FLOAT32));
			assertTrue(e.getMessage().contains("'c'"), e.getMessage());
		}
	}

	@Test
	void plainFilesAreMergedAndHalfFilesWidened() throws IOException {
		writeShards();
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFiles(
			dir.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"),
			dir.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"));
			NDManager m = NDManager.newBaseManager())
		{
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
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			assertEquals(dir.resolve("diffusion_pytorch_model.safetensors").toString(), w.describe());
		}
		IOException e = assertThrows(IOException.class, () -> SafetensorsWeightSource.openFiles(dir.resolve(
			"diffusion_pytorch_model.safetensors"), dir.resolve("other.safetensors")));
		assertTrue(e.getMessage().contains("'x' is in both"), e.getMessage());
		IOException none = assertThrows(IOException.class, () -> SafetensorsWeightSource.openFolder(dir.resolve("nope")));
		assertTrue(none.getMessage().contains("nope"), none.getMessage());
	}
}
