package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.Rng;
import io.github.diffusej.export.BaseModelVersion;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraNetwork;
import io.github.diffusej.model.adapter.LoraSpec;
import io.github.diffusej.model.adapter.Targets;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA and DoRA networks on linear and conv layers (extended targets with kohya conv rank, and the text
 * encoder) that are made, perturbed as training would, saved by {@link LoraFile#write} and read back by the
 * generation loader ({@link LoraWeights}) give the same UNet and text-encoder outputs; the kohya metadata and the
 * bundled embedding are what other tools read.
 */
class LoraRoundTripTest {

	static StableDiffusionModel model;

	@TempDir
	Path tmp;

	@BeforeAll
	static void load() throws IOException {
		model = LoraNetworkTest.tiny(DataType.FLOAT32);
	}

	@AfterAll
	static void close() {
		if (model != null) model.close();
	}

	static LoraFile.TrainingInfo info(String name) {
		return new LoraFile.TrainingInfo(name, BaseModelVersion.of(model), PredictionType.EPSILON, 64, 48, 200, 42,
			"round trip", "<cell>", Map.of("ss_learning_rate", "1e-4"));
	}

	/** What training would do: every master moved (up from zero, down, magnitude). */
	static void perturb(LoraNetwork net, long seed) {
		Random r = new Random(seed);
		for (LoraNetwork.TrainableTensor t : net.tensors().values()) {
			float[] v = net.values(t.key());
			for (int i = 0; i < v.length; i++) {
				double g = r.nextGaussian();
				v[i] = switch (t.part()) {
					case "lora_up.weight" -> (float) (0.2 * g);
					case "dora_scale" -> (float) (v[i] * (1 + 0.1 * g));
					default -> (float) (v[i] + 0.05 * g);
				};
			}
			t.master().set(v);
		}
	}

	record Outputs(float[] unet, float[] text) {}

	Outputs outputs(NDManager m, SafetensorsFile g) throws IOException {
		try (GradMode ng = GradMode.noGrad()) {
			NDArray ids = m.create(new long[] {49406, 320, 1125, 539, 320, 2368, 49407}).reshape(1, 7);
			float[] text = model.textEncoder().forward(ids).lastHiddenState().toFloatArray();
			float[] unet = model.unet().forward(g.load("noisy_latents", m).get("0:1"), 500,
				g.load("encoder_hidden_states", m).get("0:1")).toFloatArray();
			return new Outputs(unet, text);
		}
	}

	@Test
	void trainedNetworksLoadBackToTheSameFunction() throws IOException {
		try (NDManager m = model.manager().newSubManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors")))
		{
			Outputs base = outputs(m, g);
			Targets targets = Targets.extended().withTextEncoder(true);
			record Case(String name, LoraSpec spec, LoraFile.Layout layout) {}
			List<Case> cases = List.of(new Case("lora-kohya", LoraSpec.of(4, 2).withConv(2, 1), LoraFile.Layout.KOHYA),
				new Case("dora-kohya", LoraSpec.of(4, 2).withConv(2, 1).withDora(true), LoraFile.Layout.KOHYA),
				new Case("lora-diffusers", LoraSpec.of(4, 2).withConv(2, 2), LoraFile.Layout.DIFFUSERS),
				new Case("dora-diffusers", LoraSpec.of(4, 2).withDora(DoraAdapter.Axis.OUTPUT), LoraFile.Layout.DIFFUSERS));
			for (Case c : cases) {
				LoraNetwork net = LoraNetwork.attach(model, "train", targets, c.spec, new Rng(11), m);
				perturb(net, 3);
				Outputs trained = outputs(m, g);
				assertTrue(LoraNetworkTest.maxAbsDiff(trained.unet, base.unet) > 1e-3, c.name + ": training changed nothing");
				assertTrue(LoraNetworkTest.maxAbsDiff(trained.text, base.text) > 1e-3, c.name + ": text encoder unchanged");
				Path file = tmp.resolve(c.name + ".safetensors");
				LoraFile.write(file, net, info(c.name), List.of(), c.layout);
				net.remove();
				assertEquals(net.layers().size(), LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(file, 1))));
				Outputs loaded = outputs(m, g);
				double eu = LoraNetworkTest.maxAbsDiff(loaded.unet, trained.unet);
				double et = LoraNetworkTest.maxAbsDiff(loaded.text, trained.text);
				System.out.printf("%s: %d layers, loaded vs trained max abs: UNet %.3g, text %.3g%n", c.name,
					net.layers().size(), eu, et);
				assertTrue(eu < 1e-5 && et < 1e-5, c.name + ": UNet " + eu + ", text " + et);
				LoraWeights.remove(model);
				assertEquals(0, LoraNetworkTest.maxAbsDiff(base.unet, outputs(m, g).unet), c.name + ": removal restores the base");
			}
		}
	}

	@Test
	void kohyaFileCarriesTheMetadataAndKeysToolsRead() throws IOException {
		try (NDManager m = model.manager().newSubManager()) {
			LoraNetwork net = LoraNetwork.attach(model, "train", Targets.extended().withTextEncoder(true),
				LoraSpec.of(4, 2).withConv(2, 1).withDora(true), new Rng(1), m);
			Path file = tmp.resolve("meta.safetensors");
			LoraFile.write(file, net, info("my-concept"), List.of(), LoraFile.Layout.KOHYA);
			net.remove();
			try (SafetensorsFile f = SafetensorsFile.open(file)) {
				Map<String, String> md = f.metadata();
				assertEquals("lycoris.kohya", md.get("ss_network_module"));
				assertEquals("4", md.get("ss_network_dim"));
				assertEquals("2.0", md.get("ss_network_alpha"));
				JsonObject args = JsonParser.parseString(md.get("ss_network_args")).getAsJsonObject();
				assertEquals("2", args.get("conv_dim").getAsString());
				assertEquals("1.0", args.get("conv_alpha").getAsString());
				assertEquals("True", args.get("dora_wd").getAsString());
				assertEquals("False", args.get("wd_on_output").getAsString());
				assertEquals("sd_v1", md.get("ss_base_model_version"));
				assertEquals("False", md.get("ss_v2"));
				assertEquals("(64, 48)", md.get("ss_resolution"));
				assertEquals("my-concept", md.get("ss_output_name"));
				assertEquals("round trip", md.get("ss_training_comment"));
				assertEquals("200", md.get("ss_steps"));
				assertEquals("42", md.get("ss_seed"));
				assertEquals("1e-4", md.get("ss_learning_rate"));
				assertEquals("1.0.1", md.get("modelspec.sai_model_spec"));
				assertEquals("stable-diffusion-v1/lora", md.get("modelspec.architecture"));
				assertEquals("64x48", md.get("modelspec.resolution"));
				assertEquals("epsilon", md.get("modelspec.prediction_type"));
				assertEquals("<cell>", md.get("modelspec.trigger_phrase"));
				assertEquals("my-concept", md.get("modelspec.title"));
				for (LoraNetwork.Layer l : net.layers()) {
					for (Map.Entry<String, ai.djl.ndarray.types.Shape> t : l.tensors().entrySet())
						assertArrayEquals(t.getValue().getShape(), f.info(t.getKey()).shape(), t.getKey());
					assertEquals((float) l.alpha(), f.floats(l.alphaKey())[0], l.alphaKey());
					assertArrayEquals(new long[0], f.info(l.alphaKey()).shape());
				}
				assertEquals(1f, f.floats("lora_unet_down_blocks_0_resnets_0_conv1.alpha")[0], "3x3 conv: conv_alpha");
				assertArrayEquals(new long[] {2, 32, 3, 3}, f.info("lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight").shape());
				assertArrayEquals(new long[] {1, 32, 1, 1}, f.info("lora_unet_down_blocks_0_resnets_0_conv1.dora_scale").shape());
				assertArrayEquals(new long[] {1, 32}, f.info("lora_te_text_model_encoder_layers_0_self_attn_q_proj.dora_scale").shape());
				assertEquals(2f, f.floats("lora_unet_down_blocks_0_attentions_0_proj_in.alpha")[0], "1x1 conv: linear alpha");
			}
			LoraFile.TrainingInfo v2 = new LoraFile.TrainingInfo("x", BaseModelVersion.of(1024, PredictionType.V_PREDICTION),
				PredictionType.V_PREDICTION, 768, 768, 1, 1, null, null, null);
			LoraNetwork plain = LoraNetwork.attach(model, "train", Targets.attention(), LoraSpec.of(2, 2), new Rng(1), m);
			Map<String, String> md2 = LoraFile.kohyaMetadata(plain, v2);
			assertEquals("stable-diffusion-v2-768-v/lora", md2.get("modelspec.architecture"));
			assertEquals("sd_v2_v", md2.get("ss_base_model_version"));
			assertEquals("networks.lora", md2.get("ss_network_module"));
			assertNull(md2.get("ss_network_args"), "no conv or DoRA arguments for plain attention LoRA");
			assertEquals("v", md2.get("modelspec.prediction_type"));
			assertEquals("stable-diffusion-v2-512", BaseModelVersion.of(1024, PredictionType.EPSILON).modelSpec);
			plain.remove();
		}
	}

	@Test
	void diffusersLayoutRefusesWhatItCannotHold() {
		try (NDManager m = model.manager().newSubManager()) {
			Embedding e = new Embedding("<cell>", new float[][] {new float[32]}, "t");
			String[] expect = {"lora_magnitude_vector", "alpha", "embeddings"};
			LoraSpec[] specs = {LoraSpec.of(2, 2).withDora(true), LoraSpec.of(2, 2).withConv(1, 1), LoraSpec.of(2, 2)};
			for (int i = 0; i < specs.length; i++) {
				LoraNetwork net = LoraNetwork.attach(model, "train", Targets.extended(), specs[i], new Rng(1), m);
				List<Embedding> bundle = i == 2 ? List.of(e) : List.of();
				IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> LoraFile.write(
					tmp.resolve("d.safetensors"), net, info("d"), bundle, LoraFile.Layout.DIFFUSERS));
				assertTrue(x.getMessage().contains(expect[i]), x.getMessage());
				net.remove();
			}
		}
	}

	/** Pivotal tuning: the embedding travels inside the LoRA file and generation loads both. */
	@Test
	void bundledEmbeddingIsLoadedWithTheLora() throws IOException {
		try (NDManager m = model.manager().newSubManager()) {
			Random r = new Random(9);
			float[][] vec = new float[2][32];
			for (float[] v : vec) for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
			Embedding cell = new Embedding("<cell>", vec, "trained");
			LoraNetwork net = LoraNetwork.attach(model, "train", Targets.attention().withTextEncoder(true), LoraSpec.of(2, 2),
				new Rng(2), m);
			perturb(net, 5);
			Path file = tmp.resolve("pivotal.safetensors");
			LoraFile.write(file, net, info("pivotal"), List.of(cell), LoraFile.Layout.KOHYA);
			net.remove();
			try (SafetensorsFile f = SafetensorsFile.open(file)) {
				assertArrayEquals(new long[] {2, 32}, f.info("bundle_emb.<cell>.string_to_param.*").shape());
			}
			List<Embedding> back = LoraFile.readBundledEmbeddings(file);
			assertEquals(1, back.size());
			assertEquals("<cell>", back.get(0).token());
			assertArrayEquals(vec[1], back.get(0).vectors()[1]);

			LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(file, 1)));
			assertTrue(model.extraTokens().contains("<cell>"));
			float[] viaBundle = TextToImage.encodePrompts(model, m, "a photo of <cell>", "", 0,
				PromptChunks.LongPrompts.CHUNK, false).toFloatArray();
			// The same embedding added by hand, with the same LoRA file (without its bundle) applied.
			LoraWeights.remove(model);
			assertFalse(model.extraTokens().contains("<cell>"), "removing the LoRA removes its bundled tokens");
			Path noBundle = tmp.resolve("plain.safetensors");
			LoraFile.writeKohya(noBundle, LoraFile.resolve(LoraFile.read(file), model.adaptableLayers()), Map.of());
			LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(noBundle, 1)));
			model.addEmbedding(cell);
			float[] byHand = TextToImage.encodePrompts(model, m, "a photo of <cell>", "", 0,
				PromptChunks.LongPrompts.CHUNK, false).toFloatArray();
			model.removeToken("<cell>");
			LoraWeights.remove(model);
			assertEquals(0, LoraNetworkTest.maxAbsDiff(viaBundle, byHand), "bundle = LoRA + embedding");
		}
	}
}
