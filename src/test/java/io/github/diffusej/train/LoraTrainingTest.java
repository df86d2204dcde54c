package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.testutil.Golden;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** LoRA/DoRA training on the shared loop, on tiny-sd1 (golden). */
class LoraTrainingTest {

	@TempDir
	Path tmp;

	static TrainConfig tinyLora(Path dataset, int steps) {
		return TrainConfig.defaults(TrainConfig.Method.LORA).with(Map.of(
			"model", Golden.tinySd1Model().toString(),
			"dataset", dataset.toString(),
			"steps", Integer.toString(steps),
			"seed", "11",
			"validation.prompts", "[]",
			"checkpoints.every_steps", "0",
			"lora.rank", "4", "lora.alpha", "4",
			"captions.trigger", "<my-cell>", "captions.replace_word", "cell"));
	}

	/**
	 * The golden LoRA step ({@code train_lora.safetensors}, {@code lora_grads.safetensors}) through the trainer's
	 * step and method: the stored LoRA tensors loaded into the trained network, the stored noisy latents and target
	 * expressed as (x0, noise) of an epsilon model, the stored text context as a frozen text encoder's.
	 */
	/** With gradient checkpointing on, the UNet's blocks are recomputed in backward: the same loss and gradients. */
	@ParameterizedTest(name = "gradient checkpointing {0}")
	@ValueSource(booleans = {false, true})
	void oneStepMatchesDiffusers(boolean checkpointing) throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = tinyLora(ds, 1);
		try (StableDiffusionModel model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, m -> {});
			NDManager m = model.manager().newSubManager();
			Trainables trainables = new Trainables(m.newSubManager());
			LoraTraining lora = new LoraTraining();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors"));
			SafetensorsFile kohya = SafetensorsFile.open(Golden.vectors("lora_kohya.safetensors"));
			SafetensorsFile grads = SafetensorsFile.open(Golden.vectors("lora_grads.safetensors")))
		{
			model.unet().setGradientCheckpointing(checkpointing);
			lora.attach(model, c, trainables, io.github.diffusej.Rng.stream(1, "init"));
			assertEquals(48 * 2, trainables.entries().size(), "attention targets of tiny-sd1");
			lora.network().load(kohya);
			NoiseSchedule schedule = NoiseSchedule.of(model.schedulerConfig());
			TrainingStep step = new TrainingStep(model, lora, trainables, new DiffusionLoss(schedule,
				schedule.predictionType(), 0), 1, Map.of(), null);
			try (NDScope scope = new NDScope(); NDManager s = m.newSubManager()) {
				NDArray noisy = g.load("noisy_latents", s), target = g.load("target", s);
				long[] t = g.load("timesteps", s).toLongArray();
				float[] a = new float[t.length], b = new float[t.length];
				for (int i = 0; i < t.length; i++) {
					a[i] = (float) Math.sqrt(schedule.alphaCumprod((int) t[i]));
					b[i] = (float) Math.sqrt(1 - schedule.alphaCumprod((int) t[i]));
				}
				NDArray sa = s.create(a).reshape(-1, 1, 1, 1), sb = s.create(b).reshape(-1, 1, 1, 1);
				NDArray x0 = noisy.sub(target.mul(sb)).div(sa); // so that addNoise(x0, target, t) = noisy
				StepInputs in = new StepInputs(x0, s.zeros(new ai.djl.ndarray.types.Shape(2, 77), DataType.INT64), target,
					t, null, null);
				double loss = step.accumulate(in, g.load("encoder_hidden_states", s), 1.0);
				assertEquals(g.load("loss", s).getFloat(), loss, 1e-5, "loss");
				int checked = 0;
				for (String key : grads.names()) {
					float[] want = grads.floats(key);
					float[] got = trainables.gradients().get(key).toFloatArray();
					double scale = 0;
					for (float w : want) scale = Math.max(scale, Math.abs(w));
					TextualInversionGoldenTest.assertClose(key, want, got, 1e-3 * scale, 1e-3);
					checked++;
				}
				assertEquals(96, checked);
			}
		}
	}

	@Test
	void trainingLowersTheLossLeavesTheBaseAloneAndLoadsBackAsAFile() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 4, 1);
		TrainConfig c = tinyLora(ds, 200).with(Map.of("optimizer.learning_rate", "3e-3", "batch_size", "2",
			"lora.targets", "extended", "lora.conv_rank", "2", "lora.conv_alpha", "2", "lora.text_encoder", "true",
			"optimizer.text_encoder_learning_rate", "1e-3"));
		List<TrainingListener.StepReport> steps = new ArrayList<>();
		TrainingListener rec = new TrainingListener() {
			@Override
			public void step(StepReport r) {
				steps.add(r);
			}
		};
		Map<String, float[]> base = baseWeights();
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status(), () -> String.valueOf(r.error()));
			double first = steps.subList(0, 50).stream().mapToDouble(TrainingListener.StepReport::loss).average().orElseThrow();
			double last = steps.subList(150, 200).stream().mapToDouble(TrainingListener.StepReport::loss).average().orElseThrow();
			System.out.printf("LoRA loss: first 50 steps %.5f, last 50 steps %.5f%n", first, last);
			assertTrue(last < first, "mean loss of the last 50 steps " + last + " is not below the first 50 " + first);
			Map<String, float[]> after = new LinkedHashMap<>();
			for (var net : List.of(t.model().unet(), t.model().textEncoder(), t.model().vae()))
				net.parameters().forEach((k, p) -> after.put(net.getClass().getSimpleName() + ":" + k, p.array().toFloatArray()));
			for (String k : base.keySet()) assertArrayEquals(base.get(k), after.get(k), "base weight " + k + " changed");

			// the kohya file, read by the generation loader into a fresh model, gives the trained model's outputs
			Path file = tmp.resolve("run/my-cell-lora.safetensors");
			assertEquals(file, r.outputs().get(0));
			try (SafetensorsFile f = SafetensorsFile.open(file)) {
				assertEquals("stable-diffusion-v1/lora", f.metadata().get("modelspec.architecture"));
				assertEquals("networks.lora", f.metadata().get("ss_network_module"));
				assertEquals("4", f.metadata().get("ss_network_dim"));
				assertEquals("200", f.metadata().get("ss_steps"));
				assertEquals("11", f.metadata().get("ss_seed"));
				assertTrue(f.names().stream().anyMatch(n -> n.startsWith("lora_te_")), "text-encoder layers written");
				assertTrue(f.names().stream().anyMatch(n -> n.endsWith("conv1.lora_down.weight")), "conv layers written");
			}
			float[] trained = unetOutput(t.model());
			try (StableDiffusionModel fresh = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
				Device.cpu(), DataType.FLOAT32, m -> {}))
			{
				LoraWeights.apply(fresh, List.of(new GenerationRequest.LoraRef(file, 1.0)));
				TextualInversionGoldenTest.assertClose("UNet with the loaded file vs the trained adapters", trained,
					unetOutput(fresh), 1e-5, 1e-4);
			}
		}
	}

	@Test
	void doraTrainsBesideALoraFileThatStaysFrozen() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = tinyLora(ds, 6).with(Map.of("lora.dora", "true", "lora.token", "<my-cell>",
			"lora.token_initializer", "cell", "lora.bundle_embedding", "true", "captions.trigger", "null",
			"base_loras", "[\"" + Golden.vectors("lora_kohya.safetensors").toString().replace("\\", "\\\\") + ":0.8\"]"));
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), TrainingListener.NONE)) {
			// the base LoRA is attached, frozen, with its weight, before the trained DoRA
			var q = t.model().unet().layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
			List<String> names = List.copyOf(q.adapters().keySet());
			assertEquals(2, names.size(), names.toString());
			assertTrue(names.get(0).endsWith("lora_kohya.safetensors"), names.toString());
			assertEquals(0.8, q.adapterWeight(names.get(0)));
			Map<String, float[]> fileBefore = adapterTensors(t, "lora_kohya");
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status(), () -> String.valueOf(r.error()));
			Map<String, float[]> fileAfter = adapterTensors(t, "lora_kohya");
			for (String k : fileBefore.keySet()) assertArrayEquals(fileBefore.get(k), fileAfter.get(k), "the LoRA file's " + k);
			assertEquals(List.of(tmp.resolve("run/my-cell-lora.safetensors"), tmp.resolve("run/my-cell.safetensors")),
				r.outputs());
			try (SafetensorsFile f = SafetensorsFile.open(r.outputs().get(0))) {
				assertTrue(f.names().stream().anyMatch(n -> n.endsWith(".dora_scale")), "DoRA magnitudes written");
				assertTrue(f.names().contains("bundle_emb.<my-cell>.string_to_param.*"), "the token bundled");
			}
			assertEquals(1, LoraFile.readBundledEmbeddings(r.outputs().get(0)).size());
		}
	}

	/** The frozen adapters' tensors of one file applied by LoraWeights (their names hold the file name). */
	private static Map<String, float[]> adapterTensors(Trainer t, String fileStem) {
		Map<String, float[]> out = new LinkedHashMap<>();
		t.model().unet().modules().forEach((path, mod) -> {
			if (mod instanceof io.github.diffusej.model.nn.AdaptableLayer l)
				l.adapters().forEach((name, a) -> {
					if (name.contains(fileStem)) a.tensors().forEach((k, v) -> out.put(path + "/" + name + "/" + k,
						v.toFloatArray()));
				});
		});
		assertTrue(!out.isEmpty(), "no adapter of " + fileStem);
		return out;
	}

	private static Map<String, float[]> baseWeights() throws Exception {
		Map<String, float[]> out = new LinkedHashMap<>();
		try (StableDiffusionModel m = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, x -> {}))
		{
			for (var net : List.of(m.unet(), m.textEncoder(), m.vae()))
				net.parameters().forEach((k, p) -> out.put(net.getClass().getSimpleName() + ":" + k, p.array().toFloatArray()));
		}
		return out;
	}

	/** The UNet output for the golden UNet inputs, through whatever adapters the model carries. */
	private static float[] unetOutput(StableDiffusionModel model) throws Exception {
		try (NDManager s = model.manager().newSubManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			return model.unet().forward(g.load("sample", s), g.load("timesteps", s), g.load("encoder_hidden_states", s))
				.toFloatArray();
		}
	}
}
