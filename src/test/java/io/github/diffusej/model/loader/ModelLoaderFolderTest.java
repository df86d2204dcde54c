package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Diffusers folders: the real tiny-sd1 folder ({@code tiny-sd1/model}) and broken copies of it. */
class ModelLoaderFolderTest {

	@TempDir
	Path tmp;

	/** A writable copy of tiny-sd1/model. */
	private Path copy() throws IOException {
		Path src = Golden.tinySd1Model(), dst = tmp.resolve("model");
		try (Stream<Path> s = Files.walk(src)) {
			for (Path p : s.toList()) {
				Path t = dst.resolve(src.relativize(p).toString());
				if (Files.isDirectory(p)) Files.createDirectories(t);
				else Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
				t.toFile().setWritable(true);
			}
		}
		return dst;
	}

	private static void assertMentions(Exception e, String... parts) {
		for (String p : parts) assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
	}

	@Test
	void opensTheTinyFolder() throws IOException {
		Path model = Golden.tinySd1Model();
		try (ModelFiles mf = ModelLoader.open(model)) {
			assertEquals(ModelFiles.Kind.DIFFUSERS_FOLDER, mf.kind());
			assertEquals(ModelFamily.SD1, mf.family());
			assertEquals(PredictionType.EPSILON, mf.predictionType());
			assertEquals(model.resolve("tokenizer"), mf.tokenizerDir());
			assertEquals("PNDMScheduler", mf.schedulerConfig().get("_class_name").getAsString());
			assertEquals(List.of(), mf.notes());
			for (Component c : Component.values()) {
				ComponentFiles cf = mf.components().get(c);
				assertEquals(model.resolve(c.folder).resolve("config.json").toString(), cf.configOrigin());
				assertTrue(cf.config().has(c == Component.TEXT_ENCODER ? "hidden_size" : "block_out_channels"));
				String file = c == Component.TEXT_ENCODER ? "model.safetensors" : "diffusion_pytorch_model.safetensors";
				try (SafetensorsFile f = SafetensorsFile.open(model.resolve(c.folder).resolve(file))) {
					assertEquals(new TreeSet<>(f.names()), new TreeSet<>(cf.weights().keys()), c.folder);
					for (String k : f.names()) assertArrayEquals(f.info(k).shape(), cf.weights().shape(k), k);
				}
				assertEquals(ReferenceKeys.of(c, cf.config()), new java.util.HashSet<>(cf.weights().keys()), c.folder + " reference keys");
			}
		}
	}

	@Test
	void predictionTypeOverrideIsWrittenIntoTheSchedulerConfig() throws IOException {
		try (ModelFiles mf = ModelLoader.open(Golden.tinySd1Model(),
			LoadOptions.defaults().withPredictionType(PredictionType.V_PREDICTION)))
		{
			assertEquals(PredictionType.V_PREDICTION, mf.predictionType());
			assertEquals("v_prediction", mf.schedulerConfig().get("prediction_type").getAsString());
		}
	}

	@Test
	void variantSelectionAndFallback() throws IOException {
		Path m = copy();
		Path unet = m.resolve("unet");
		Files.move(unet.resolve("diffusion_pytorch_model.safetensors"), unet.resolve("diffusion_pytorch_model.fp16.safetensors"));
		try (ModelFiles mf = ModelLoader.open(m)) {
			assertEquals(1, mf.notes().size(), mf.notes().toString());
			assertMentions(new Exception(mf.notes().get(0)), "unet", "no plain weights file",
				"diffusion_pytorch_model.fp16.safetensors");
		}
		try (ModelFiles mf = ModelLoader.open(m, LoadOptions.defaults().withVariant("fp16"))) {
			assertTrue(mf.unet().weights().describe().endsWith("diffusion_pytorch_model.fp16.safetensors"));
			assertEquals(2, mf.notes().size(), mf.notes().toString()); // vae and text_encoder fall back to plain
			assertMentions(new Exception(String.join("|", mf.notes())), "no 'fp16' variant; using model.safetensors");
		}
	}

	@Test
	void shardedWeights() throws IOException {
		Path m = copy();
		Path unet = m.resolve("unet");
		Path whole = unet.resolve("diffusion_pytorch_model.safetensors");
		JsonObject map = new JsonObject();
		try (SafetensorsFile f = SafetensorsFile.open(whole)) {
			SafetensorsWriter a = new SafetensorsWriter(), b = new SafetensorsWriter();
			int i = 0;
			for (String k : f.names()) {
				String shard = i++ % 2 == 0 ? "diffusion_pytorch_model-00001-of-00002.safetensors"
					: "diffusion_pytorch_model-00002-of-00002.safetensors";
				(i % 2 == 1 ? a : b).put(k, f.info(k).dtype(), f.info(k).shape(), f.raw(k));
				map.addProperty(k, shard);
			}
			a.write(unet.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"));
			b.write(unet.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"));
		}
		JsonObject index = new JsonObject();
		index.add("metadata", new JsonObject());
		index.add("weight_map", map);
		Files.writeString(unet.resolve("diffusion_pytorch_model.safetensors.index.json"), index.toString());
		Files.delete(whole);
		try (ModelFiles mf = ModelLoader.open(m);
			SafetensorsFile f = SafetensorsFile.open(Golden.tinySd1Model().resolve("unet/diffusion_pytorch_model.safetensors")))
		{
			assertEquals(new TreeSet<>(f.names()), new TreeSet<>(mf.unet().weights().keys()));
			assertTrue(mf.unet().weights().describe().endsWith(".index.json"));
		}
		// a shard that is gone
		Files.delete(unet.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"));
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, "diffusion_pytorch_model.safetensors.index.json", "diffusion_pytorch_model-00002-of-00002.safetensors",
			"is missing");
	}

	@Test
	void pickleOnlyComponentIsRefused() throws IOException {
		Path m = copy();
		Files.delete(m.resolve("unet/diffusion_pytorch_model.safetensors"));
		Files.write(m.resolve("unet/diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.resolve("unet").toString(), "diffusion_pytorch_model.bin", "pickle", "arbitrary code",
			"safetensors");
	}

	@Test
	void missingPiecesAreNamed() throws IOException {
		Path m = copy();
		Files.delete(m.resolve("vae/diffusion_pytorch_model.safetensors"));
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.resolve("vae").toString(), "no weights file", "diffusion_pytorch_model.safetensors",
			"config.json");

		Files.delete(m.resolve("scheduler/scheduler_config.json"));
		Files.delete(m.resolve("text_encoder/config.json"));
		e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.toString(), "incomplete", "text_encoder/config.json", "scheduler/scheduler_config.json");

		Files.delete(m.resolve("model_index.json"));
		e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.toString(), "model_index.json is missing");
	}

	@Test
	void missingTokenizerFolder() throws IOException {
		Path m = copy();
		for (String f : new String[] {"vocab.json", "merges.txt"}) Files.delete(m.resolve("tokenizer").resolve(f));
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.resolve("tokenizer").toString(), "vocab.json + merges.txt");
	}

	@Test
	void missingTensorInAFolder() throws IOException {
		Path m = copy();
		Path vae = m.resolve("vae/diffusion_pytorch_model.safetensors");
		SafetensorsWriter w = new SafetensorsWriter();
		try (SafetensorsFile f = SafetensorsFile.open(vae)) {
			for (String k : f.names())
				if (!k.equals("decoder.conv_out.bias")) w.put(k, f.info(k).dtype(), f.info(k).shape(), f.raw(k));
		}
		w.write(vae);
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.toString(), "vae: 1 tensor(s) missing", "decoder.conv_out.bias");
	}

	@Test
	void sdxlAndUnknownPipelinesAreRefused() throws IOException {
		Path m = copy();
		Path index = m.resolve("model_index.json");
		JsonObject o = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
		o.addProperty("_class_name", "StableDiffusionXLPipeline");
		Files.writeString(index, o.toString());
		var e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.toString(), "SDXL", "not supported yet");
		o.addProperty("_class_name", "KandinskyPipeline");
		Files.writeString(index, o.toString());
		e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(m));
		assertMentions(e, m.toString(), "KandinskyPipeline", "not supported", "StableDiffusionPipeline");
	}

	@Test
	void legacyVaeAttentionNamesAreModernised() throws IOException {
		Path m = copy();
		Path vae = m.resolve("vae/diffusion_pytorch_model.safetensors");
		SafetensorsWriter w = new SafetensorsWriter();
		List<String> renamed = new ArrayList<>();
		try (SafetensorsFile f = SafetensorsFile.open(vae)) {
			for (String k : f.names()) {
				String old = k.replace(".to_q.", ".query.").replace(".to_k.", ".key.").replace(".to_v.", ".value.")
					.replace(".to_out.0.", ".proj_attn.");
				if (!old.equals(k)) renamed.add(old);
				w.put(old, f.info(k).dtype(), f.info(k).shape(), f.raw(k));
			}
		}
		w.write(vae);
		assertEquals(16, renamed.size());
		try (ModelFiles mf = ModelLoader.open(m)) {
			assertTrue(mf.vae().weights().keys().contains("decoder.mid_block.attentions.0.to_out.0.weight"));
			assertArrayEquals(new long[] {64, 64}, mf.vae().weights().shape("encoder.mid_block.attentions.0.to_q.weight"));
		}
	}
}
