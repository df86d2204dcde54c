package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.model.ldm.TinyLdm;
import io.github.diffusej.model.ldm.TinyLdm.Entry;
import io.github.diffusej.model.ldm.TinyLdm.Flavour;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-file checkpoints (built from {@code tiny-sd1/model} by {@link TinyLdm}): options, defaults and every
 * refusal; each error message must name the file and the defect.
 */
class ModelLoaderSingleFileTest {

	@TempDir
	Path tmp;

	private LoadOptions tiny() {
		return LoadOptions.defaults().withTokenizerDir(TinyLdm.model().resolve("tokenizer")).withConfigDir(TinyLdm.model());
	}

	private ModelLoadException refused(Flavour flavour, Consumer<Map<String, Entry>> edit, LoadOptions opts)
		throws IOException
	{
		Path file = TinyLdm.write(tmp.resolve("broken.safetensors"), flavour, edit);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(file, opts).close());
		assertTrue(e.getMessage().contains(file.toString()), "message must name the file: " + e.getMessage());
		return e;
	}

	private static void assertMentions(Exception e, String... parts) {
		for (String p : parts) assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
	}

	@Test
	void missingKey() throws IOException {
		var e = refused(Flavour.SD1, t -> t.remove("model.diffusion_model.out.2.weight"), tiny());
		assertMentions(e, "unet: 1 tensor(s) missing (reference names): conv_out.weight");
	}

	@Test
	void wrongShapeOfVaeAttention() throws IOException {
		var e = refused(Flavour.SD1, t -> {
			Entry q = t.get("first_stage_model.encoder.mid.attn_1.q.weight");
			long c = q.shape()[0];
			t.put("first_stage_model.encoder.mid.attn_1.q.weight", new Entry(new long[] {c, c / 2, 1, 2}, q.values()));
		}, tiny());
		assertMentions(e, "'first_stage_model.encoder.mid.attn_1.q.weight' has shape [64, 32, 1, 2]",
			"encoder.mid_block.attentions.0.to_q.weight");
	}

	@Test
	void wrongShapeOfOpenClipInProj() throws IOException {
		String k = "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight";
		var e = refused(Flavour.SD2, t -> {
			Entry in = t.get(k);
			t.put(k, new Entry(new long[] {in.shape()[0] / 3, in.shape()[1] * 3}, in.values()));
		}, tiny());
		assertMentions(e, "'" + k + "' has shape [32, 96]", "in_proj");
	}

	@Test
	void wrongShapeOfAPlainTensor() throws IOException {
		var e = refused(Flavour.SD1, t -> {
			Entry w = t.get("model.diffusion_model.input_blocks.0.0.weight"); // [32, 4, 3, 3]
			t.put("model.diffusion_model.input_blocks.0.0.weight", new Entry(new long[] {32, 2, 3, 6}, w.values()));
		}, tiny());
		assertMentions(e, "unet: 1 tensor(s) with the wrong shape: 'model.diffusion_model.input_blocks.0.0.weight' " +
			"(as conv_in.weight) is [32, 2, 3, 6], the config implies [32, 4, 3, 3]");
	}

	@Test
	void unmappedKey() throws IOException {
		var e = refused(Flavour.SD1, t -> t.put("model.diffusion_model.input_blocks.1.0.mystery.weight",
			new Entry(new long[] {2}, new float[2])), tiny());
		assertMentions(e, "1 key(s) with no known SD1 mapping: model.diffusion_model.input_blocks.1.0.mystery.weight");
	}

	@Test
	void sdxlIsRefused() throws IOException {
		var e = refused(Flavour.SD1, t -> t.put("conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
			new Entry(new long[] {2}, new float[2])), tiny());
		assertMentions(e, "SDXL", "not supported yet");
	}

	@Test
	void unknownFamilyWithoutTextEncoder() throws IOException {
		var e = refused(Flavour.SD1, t -> t.keySet().removeIf(k -> k.startsWith("cond_stage_model.")), tiny());
		assertMentions(e, "unknown model family");
	}

	@Test
	void notACheckpoint() throws IOException {
		var e = refused(Flavour.SD1, t -> t.keySet().removeIf(k -> !k.startsWith("first_stage_model.")), tiny());
		assertMentions(e, "not a Stable Diffusion checkpoint", "model.diffusion_model.");
	}

	/** The tiny file has 32-wide cross-attention; the bundled SD1.5 configs say 768. */
	@Test
	void contextWidthMustMatchTheConfig() throws IOException {
		var e = refused(Flavour.SD1, null, LoadOptions.defaults().withTokenizerDir(TinyLdm.model().resolve("tokenizer")));
		assertMentions(e, "cross_attention_dim 768", "unknown model family");
	}

	@Test
	void pickleIsRefused() throws IOException {
		LoadOptions options = tiny(); // outside assertThrows: no golden data = skipped
		for (String name : new String[] {"model.ckpt", "model.pt", "model.bin"}) {
			Path p = Files.write(tmp.resolve(name), new byte[] {(byte) 0x80, 2});
			var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(p, options));
			assertMentions(e, p.toString(), "pickle", "arbitrary code", ".safetensors");
		}
	}

	@Test
	void tokenizerIsRequired() throws IOException {
		Path file = TinyLdm.write(tmp.resolve("a/tiny.safetensors"), Flavour.SD1, null);
		var e = assertThrows(ModelLoadException.class,
			() -> ModelLoader.open(file, LoadOptions.defaults().withConfigDir(TinyLdm.model())));
		assertMentions(e, file.toString(), "no tokenizer", tmp.resolve("a/tokenizer").toString());
	}

	@Test
	void tokenizerNextToTheFileAndPredictionOverride() throws IOException {
		Path file = TinyLdm.write(tmp.resolve("b/tiny.safetensors"), Flavour.SD2, null);
		Path tok = Files.createDirectories(tmp.resolve("b/tokenizer"));
		Files.copy(TinyLdm.model().resolve("tokenizer/vocab.json"), tok.resolve("vocab.json"));
		Files.copy(TinyLdm.model().resolve("tokenizer/merges.txt"), tok.resolve("merges.txt"));
		LoadOptions opts = LoadOptions.defaults().withConfigDir(TinyLdm.model())
			.withPredictionType(PredictionType.EPSILON);
		try (ModelFiles mf = ModelLoader.open(file, opts)) {
			assertEquals(tok.toAbsolutePath(), mf.tokenizerDir().toAbsolutePath());
			assertEquals(ModelFamily.SD2, mf.family());
			assertEquals(PredictionType.EPSILON, mf.predictionType());
			assertEquals("epsilon", mf.schedulerConfig().get("prediction_type").getAsString());
		}
	}

	@Test
	void bundledSchedulerDefaults() throws IOException {
		var sd1 = ModelLoader.bundled(ModelFamily.SD1, "scheduler/scheduler_config.json");
		var sd2 = ModelLoader.bundled(ModelFamily.SD2, "scheduler/scheduler_config.json");
		for (var s : new com.google.gson.JsonObject[] {sd1, sd2}) {
			assertEquals("PNDMScheduler", s.get("_class_name").getAsString());
			assertEquals(0.00085, s.get("beta_start").getAsDouble());
			assertEquals(0.012, s.get("beta_end").getAsDouble());
			assertEquals("scaled_linear", s.get("beta_schedule").getAsString());
			assertEquals(1, s.get("steps_offset").getAsInt());
			assertTrue(s.get("skip_prk_steps").getAsBoolean());
			assertTrue(!s.get("set_alpha_to_one").getAsBoolean() && !s.get("clip_sample").getAsBoolean());
		}
		assertTrue(!sd1.has("prediction_type"));
		assertEquals("v_prediction", sd2.get("prediction_type").getAsString());
	}
}
