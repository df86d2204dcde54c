package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptCheckTest {

	@Test
	void embeddingTriggerIsRecognisedWithTheModelsTokenizer() throws IOException {
		var emb = List.of(new GenerationRequest.EmbeddingRef(Golden.vectors("learned_embeds_diffusers.safetensors"), null));
		PromptTokens t = PromptCheck.analyse(Golden.tinySd1Model(), null, "a photo of <my-cell> and <MY-CELL>", emb);
		assertEquals(List.of("<my-cell>"), t.recognisedPlaceholders());
		assertTrue(t.report().contains("case sensitive"), t.report());
		PromptTokens with = PromptCheck.analyse(Golden.tinySd1Model(), null, "a photo of <my-cell>", emb);
		PromptTokens without = PromptCheck.analyse(Golden.tinySd1Model(), null, "a photo of <my-cell>", List.of());
		assertEquals(4, with.tokenCount());
		assertTrue(without.recognisedPlaceholders().isEmpty());
		assertTrue(without.tokenCount() > 4, "the trigger splits into pieces without the embedding");
	}

	@Test
	void missingModelIsNamed() {
		var e = assertThrows(IOException.class, () -> PromptCheck.analyse(Path.of("/nonexistent/model"), null, "a", List.of()));
		assertTrue(e.getMessage().contains("/nonexistent/model"), e.getMessage());
	}

	@org.junit.jupiter.api.io.TempDir
	Path tmp;

	/** tokens and generate refuse the same embeddings with the same message: one validation serves both. */
	@Test
	void tokensAndGenerateShareOneEmbeddingCheck() throws IOException {
		Path wide = tmp.resolve("sd2.safetensors");
		io.github.diffusej.export.EmbeddingFile.write(wide, new io.github.diffusej.model.Embedding("<sd2-thing>",
			new float[1][1024], "test"), io.github.diffusej.export.EmbeddingFile.Layout.DIFFUSERS, "stable-diffusion-v2",
			null);
		Path word = tmp.resolve("word.safetensors");
		io.github.diffusej.export.EmbeddingFile.write(word, new io.github.diffusej.model.Embedding("cat",
			new float[1][32], "test"), io.github.diffusej.export.EmbeddingFile.Layout.DIFFUSERS, "stable-diffusion-v1",
			null);
		Path nan = tmp.resolve("nan.safetensors");
		float[][] v = new float[1][32];
		v[0][3] = Float.NaN;
		new io.github.diffusej.io.SafetensorsWriter().putFloats("<nan>", new long[] {1, 32}, v[0]).write(nan);
		try (var model = io.github.diffusej.model.StableDiffusionModel.load(Golden.tinySd1Model(),
			io.github.diffusej.model.loader.LoadOptions.defaults(), ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32,
			m -> {}))
		{
			for (Path p : List.of(wide, word, nan)) {
				var ref = List.of(new GenerationRequest.EmbeddingRef(p, null));
				Exception tokens = assertThrows(Exception.class, () -> PromptCheck.analyse(Golden.tinySd1Model(), null,
					"a photo", ref));
				GenerationRequest r = new GenerationRequest(Golden.tinySd1Model(), null, "a photo", "", 1, 1, null, 1,
					32, 32, 1, 1, null, null, ref);
				Exception generate = assertThrows(Exception.class, () -> TextToImage.prepare(model, r));
				assertEquals(tokens.getMessage(), generate.getMessage());
				assertTrue(tokens.getMessage().startsWith(p.toString()), tokens.getMessage());
			}
			String m = assertThrows(Exception.class, () -> PromptCheck.analyse(Golden.tinySd1Model(), null, "a",
				List.of(new GenerationRequest.EmbeddingRef(wide, null)))).getMessage();
			assertTrue(m.contains("has width 1024 but this model's text encoder has width 32 (an SD 2.x embedding)"), m);
			m = assertThrows(Exception.class, () -> PromptCheck.analyse(Golden.tinySd1Model(), null, "a",
				List.of(new GenerationRequest.EmbeddingRef(word, null)))).getMessage();
			assertTrue(m.contains("trigger 'cat' is already a word of the vocabulary"), m);
			m = assertThrows(Exception.class, () -> PromptCheck.analyse(Golden.tinySd1Model(), null, "a",
				List.of(new GenerationRequest.EmbeddingRef(nan, null)))).getMessage();
			assertTrue(m.contains("contains NaN or infinite values"), m);
		}
	}
}
