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
}
