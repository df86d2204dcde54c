package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA and embedding files applied at inference against the goldens: {@code lora_kohya.safetensors},
 * {@code lora_kohya_alpha2.safetensors} -> {@code train_lora.safetensors} outputs; {@code learned_embeds_*} ->
 * {@code ti_load_*_prompt_embeds.safetensors}.
 */
class AdaptersGoldenTest {

	static StableDiffusionModel model;

	@TempDir
	Path tmp;

	@BeforeAll
	static void load() throws IOException {
		model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(), Device.cpu(), DataType.FLOAT32,
			msg -> {});
	}

	@AfterAll
	static void close() {
		if (model != null) model.close();
	}

	static float maxAbs(float[] a, float[] b) {
		assertEquals(a.length, b.length);
		float m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
		return m;
	}

	float[] unetOut(NDManager m, SafetensorsFile f) throws IOException {
		NDArray out = model.unet().forward(f.load("noisy_latents", m), f.load("timesteps", m),
			f.load("encoder_hidden_states", m));
		return out.toFloatArray();
	}

	@Test
	void kohyaLoraGivesTheStoredOutputs() throws IOException {
		try (SafetensorsFile f = SafetensorsFile.open(Golden.vectors("train_lora.safetensors"));
			NDManager m = model.manager().newSubManager())
		{
			assertEquals(48, LoraWeights.apply(model,
				List.of(new GenerationRequest.LoraRef(Golden.vectors("lora_kohya.safetensors"), 1.0))));
			float e1 = maxAbs(unetOut(m, f), f.floats("out_lora"));
			LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(Golden.vectors("lora_kohya_alpha2.safetensors"), 1.0)));
			float e2 = maxAbs(unetOut(m, f), f.floats("out_lora_alpha2"));
			// A multiplier of 0.5 on the alpha-4 file is the same change as alpha 2.
			LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(Golden.vectors("lora_kohya.safetensors"), 0.5)));
			float e3 = maxAbs(unetOut(m, f), f.floats("out_lora_alpha2"));
			assertEquals(48, LoraWeights.remove(model));
			float e0 = maxAbs(unetOut(m, f), f.floats("out_no_lora"));
			System.out.println("LoRA parity: alpha4 " + e1 + ", alpha2 " + e2 + ", x0.5 " + e3 + ", removed " + e0);
			// measured about 2e-6; bound tenfold above
			for (float e : new float[] {e1, e2, e3, e0}) assertTrue(e < 3e-5, "max abs " + e);
		}
	}

	@Test
	void embeddingsGiveTheStoredPromptEmbeds() throws IOException {
		String[][] cases = {{"learned_embeds_diffusers.safetensors", null, "ti_load_diffusers_prompt_embeds.safetensors"},
			{"learned_embeds_a1111_2vec.safetensors", "<my-cell>", "ti_load_a1111_prompt_embeds.safetensors"}};
		for (String[] c : cases) {
			try (StableDiffusionModel fresh = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
				Device.cpu(), DataType.FLOAT32, msg -> {});
				SafetensorsFile g = SafetensorsFile.open(Golden.vectors(c[2]));
				NDManager m = fresh.manager().newSubManager())
			{
				Embedding e = EmbeddingFile.read(Golden.vectors(c[0]), c[1]);
				fresh.addEmbedding(e);
				String prompt = fresh.expandTriggers("a photo of <my-cell>");
				assertArrayEquals(g.longs("input_ids"), fresh.tokenizer().encode77(prompt), c[0]);
				NDArray emb = TextToImage.encodePrompts(fresh, m, "a photo of <my-cell>", "", 0,
					PromptChunks.LongPrompts.CHUNK, false);
				float err = maxAbs(emb.toFloatArray(), g.floats("prompt_embeds"));
				System.out.println("PARITY embedding " + c[0] + ": max abs " + err);
				assertTrue(err < 3e-5, c[0] + " max abs " + err);
			}
		}
	}

	@Test
	void adaptersThatDoNotFitAreRefusedByName() throws IOException {
		Path wrong = tmp.resolve("sd15-lora.safetensors");
		new SafetensorsWriter()
			.putFloats("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", new long[] {4, 320}, new float[1280])
			.putFloats("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight", new long[] {320, 4}, new float[1280])
			.write(wrong);
		Exception e = assertThrows(IOException.class,
			() -> LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(wrong, 1))));
		assertTrue(e.getMessage().contains("sd15-lora.safetensors") && e.getMessage().contains("does not fit"), e.getMessage());
		assertTrue(model.unet().adaptedLayers().isEmpty(), "nothing attached");
		Embedding wide = new Embedding("<wide>", new float[][] {new float[768]}, "wide.safetensors");
		IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> model.addEmbedding(wide));
		assertTrue(w.getMessage().contains("wide.safetensors") && w.getMessage().contains("768"), w.getMessage());
		Embedding word = new Embedding("cat", new float[][] {new float[32]}, "cat.safetensors");
		assertTrue(assertThrows(IllegalArgumentException.class, () -> model.addEmbedding(word)).getMessage()
			.contains("already a word"));
	}
}
