package io.github.diffusej.model;

import static io.github.diffusej.model.Compare.PARITY_ATOL;
import static io.github.diffusej.model.Compare.PARITY_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.clip.CLIPTextOutput;
import io.github.diffusej.model.loader.SafetensorsWeightSource;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Golden parity with transformers 4.36 on tiny-sd1: {@code tiny-sd1/vectors/text_encoder.safetensors}. */
class CLIPTextModelTest {

	static CLIPTextModel load(NDManager m, DataType dt) throws IOException {
		Path dir = Golden.tinySd1Model().resolve("text_encoder");
		CLIPTextModel te = CLIPTextModel.fromConfig(dir);
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			te.loadWeights(w, m, dt);
		}
		return te;
	}

	@Test
	void matchesTransformersGolden() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); SafetensorsFile g = SafetensorsFile.open(
			Golden.vectors("text_encoder.safetensors")))
		{
			CLIPTextModel te = load(m, DataType.FLOAT32);
			NDArray ids = g.load("input_ids", m);
			CLIPTextOutput o = te.forward(ids);
			assertEquals(5, o.hiddenStates().size());
			Compare.allClose("last_hidden_state", o.lastHiddenState(), g.load("last_hidden_state", m), PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("embeddings_output", o.hiddenStates().get(0), g.load("embeddings_output", m), PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("hidden_states_penultimate", o.hiddenStateFromEnd(2),
				g.load("hidden_states_penultimate", m), PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("pooler_output", o.pooled(), g.load("pooler_output", m), PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("clip_skip_1", te.encode(ids, 1), g.load("clip_skip_1", m), PARITY_ATOL, PARITY_RTOL);
		}
	}

	@Test
	void extraTokenRowsAreUsedForIdsPastTheVocabulary() throws IOException {
		try (NDManager m = NDManager.newBaseManager()) {
			CLIPTextModel te = load(m, DataType.FLOAT32);
			long[] plain = {49406, 320, 5533, 49407};
			long[] placeholder = {49406, 320, 49408, 49407};
			NDArray row = te.embeddings().tokenEmbedding().weight().array().get(5533).reshape(1, -1);
			te.embeddings().setExtraTokens(row);
			NDArray a = te.forward(m.create(plain).reshape(1, 4)).lastHiddenState();
			NDArray b = te.forward(m.create(placeholder).reshape(1, 4)).lastHiddenState();
			assertTrue(Compare.allClose("extra row = copied row", b, a, 0, 0) == 0);
			NDArray tooFar = m.create(new long[] {49406, 49409, 49407}).reshape(1, 3);
			IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> te.forward(tooFar));
			assertTrue(e.getMessage().contains("token id 49409"), e.getMessage());
			te.embeddings().setExtraTokens(null);
			e = assertThrows(IllegalArgumentException.class, () -> te.forward(m.create(placeholder).reshape(1, 4)));
			assertTrue(e.getMessage().contains("no extra token rows"), e.getMessage());
		}
	}

	@Test
	void refusesUnknownActivationAndArchitecture() {
		assertThrows(IllegalArgumentException.class, () -> Configs.parse("{\"hidden_act\":\"relu6\"}",
			io.github.diffusej.model.clip.CLIPTextConfig.class));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"architectures\":[\"CLIPTextModelWithProjection\"]}", io.github.diffusej.model.clip.CLIPTextConfig.class));
		assertTrue(e.getMessage().contains("CLIPTextModelWithProjection"), e.getMessage());
	}
}
