package io.github.diffusej.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads golden {@code learned_embeds_diffusers.safetensors} and {@code learned_embeds_a1111_2vec.safetensors}. */
class EmbeddingFileTest {

	@TempDir
	Path tmp;

	@Test
	void diffusersLayoutNamesItsToken() throws IOException {
		Embedding e = EmbeddingFile.read(Golden.vectors("learned_embeds_diffusers.safetensors"));
		assertEquals("<my-cell>", e.token());
		assertEquals(1, e.count());
		assertEquals(32, e.dim());
		try (SafetensorsFile ti = SafetensorsFile.open(Golden.vectors("train_textual_inversion.safetensors"))) {
			assertArrayEquals(ti.floats("embedding_row_after"), e.vectors()[0]);
		}
	}

	@Test
	void embParamsUsesTheFileNameUnlessATokenIsGiven() throws IOException {
		Path a1111 = Golden.vectors("learned_embeds_a1111_2vec.safetensors");
		Embedding byName = EmbeddingFile.read(a1111);
		assertEquals("learned_embeds_a1111_2vec", byName.token());
		Embedding e = EmbeddingFile.read(a1111, "<my-cell>");
		assertEquals(2, e.count());
		assertEquals(List.of("<my-cell>", "<my-cell>_1"), e.tokens());
		assertEquals("a photo of <my-cell> <my-cell>_1", e.expand("a photo of <my-cell>"));
		assertEquals("a photo of <my-cell>_1", e.expand("a photo of <my-cell>_1"), "explicit sub-token kept");
		assertEquals("x", e.expand("x"));
	}

	@Test
	void roundTripInBothLayouts() throws IOException {
		Embedding e = new Embedding("<cell>", new float[][] {{1, 2, 3}, {4, 5, 6}}, "test");
		for (EmbeddingFile.Layout layout : EmbeddingFile.Layout.values()) {
			Path p = tmp.resolve("cell-" + layout + ".safetensors");
			EmbeddingFile.write(p, e, layout, "stable-diffusion-v1", Map.of("ss_steps", "100"));
			Embedding back = EmbeddingFile.read(p, layout == EmbeddingFile.Layout.EMB_PARAMS ? "<cell>" : null);
			assertEquals("<cell>", back.token());
			assertArrayEquals(e.vectors()[1], back.vectors()[1]);
			try (SafetensorsFile f = SafetensorsFile.open(p)) {
				assertEquals("stable-diffusion-v1/textual-inversion", f.metadata().get("modelspec.architecture"));
				assertEquals("100", f.metadata().get("ss_steps"));
			}
		}
	}

	@Test
	void badFilesAreRefusedClearly() throws IOException {
		Path pt = tmp.resolve("old.pt");
		Files.write(pt, new byte[] {(byte) 0x80, 2});
		assertTrue(assertThrows(SafetensorsException.class, () -> EmbeddingFile.read(pt)).getMessage().contains("pickle"));
		Path sdxl = tmp.resolve("xl.safetensors");
		new SafetensorsWriter().putFloats("clip_l", new long[] {1, 2}, new float[2])
			.putFloats("clip_g", new long[] {1, 2}, new float[2]).write(sdxl);
		assertTrue(assertThrows(SafetensorsException.class, () -> EmbeddingFile.read(sdxl)).getMessage().contains("SDXL"));
		Path nan = tmp.resolve("nan.safetensors");
		new SafetensorsWriter().putFloats("emb_params", new long[] {1, 2}, new float[] {1, Float.NaN}).write(nan);
		SafetensorsException e = assertThrows(SafetensorsException.class, () -> EmbeddingFile.read(nan));
		assertTrue(e.getMessage().contains(nan.toString()) && e.getMessage().contains("NaN"), e.getMessage());
		Path lora = Golden.vectors("lora_kohya.safetensors");
		assertTrue(assertThrows(SafetensorsException.class, () -> EmbeddingFile.read(lora)).getMessage()
			.contains("not a textual-inversion embedding"));
	}
}
