package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.StableDiffusionModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mixed_precision: fp16} on the CPU (slow there, but the code path of a GPU): the frozen model in float16,
 * the trainable masters and the optimizer state in float32, the loss finite, the results exported, and every frozen
 * float16 weight bit-identical afterwards.
 */
class MixedPrecisionTest {

	@TempDir
	Path tmp;

	/** The bytes of every frozen weight of the model (UNet, text encoder with its token table, VAE). */
	static Map<String, byte[]> frozen(StableDiffusionModel m) {
		Map<String, byte[]> out = new LinkedHashMap<>();
		for (var net : List.of(m.unet(), m.textEncoder(), m.vae()))
			net.parameters().forEach((k, p) -> {
				ByteBuffer b = p.array().toByteBuffer();
				byte[] bytes = new byte[b.remaining()];
				b.get(bytes);
				out.put(net.getClass().getSimpleName() + ":" + k, bytes);
			});
		return out;
	}

	static class Steps implements TrainingListener {
		final List<StepReport> reports = new ArrayList<>();
		final List<String> messages = new ArrayList<>();

		@Override
		public void step(StepReport r) {
			reports.add(r);
		}

		@Override
		public void message(String text) {
			messages.add(text);
		}
	}

	private void check(TrainConfig c, Path run, String mainFile) throws Exception {
		Steps rec = new Steps();
		try (Trainer t = Trainer.open(c, run, false, Device.cpu(), rec)) {
			assertEquals(DataType.FLOAT16, t.model().dtype());
			Map<String, byte[]> before = frozen(t.model());
			assertFalse(before.isEmpty());
			Map<String, float[]> start = new LinkedHashMap<>();
			for (Trainables.Entry e : t.trainables().entries().values()) {
				assertEquals(DataType.FLOAT32, e.value().getDataType(), "master " + e.name());
				start.put(e.name(), e.value().toFloatArray());
			}
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status(), () -> String.valueOf(r.error()));
			assertEquals(c.steps(), rec.reports.size());
			for (TrainingListener.StepReport s : rec.reports)
				assertTrue(Double.isFinite(s.loss()) && s.loss() > 0, "loss " + s.loss() + " at step " + s.step());
			System.out.println(c.method().label() + " fp16 losses: " + rec.reports.stream().map(s -> s.loss()).toList()
				+ "; " + rec.messages.stream().filter(m -> m.contains("overflowed")).count() + " steps skipped");
			boolean changed = false;
			for (Trainables.Entry e : t.trainables().entries().values()) {
				assertEquals(DataType.FLOAT32, e.value().getDataType(), "master " + e.name() + " after training");
				changed |= !java.util.Arrays.equals(start.get(e.name()), e.value().toFloatArray());
			}
			assertTrue(changed, "no update was applied in " + c.steps() + " steps");
			Path ckpt = run.resolve("checkpoints").resolve(String.format("checkpoint-step_%08d", c.steps()));
			try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve(Checkpoint.OPTIMIZER))) {
				for (String n : f.names()) assertEquals(io.github.diffusej.io.Dtype.F32, f.info(n).dtype(), "optimizer state " + n);
			}
			Map<String, byte[]> after = frozen(t.model());
			assertEquals(before.keySet(), after.keySet());
			for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), "frozen float16 weight " + k);
			assertEquals(run.resolve(mainFile), r.outputs().get(0));
			// the exported values are the float32 masters
			Map<String, NDArray> values = t.trainables().values();
			if (c.method() == TrainConfig.Method.TEXTUAL_INVERSION) {
				float[] file = EmbeddingFile.read(r.outputs().get(0), "<my-cell>").vectors()[0];
				assertArrayEquals(values.get("<my-cell>").toFloatArray(), file);
			}
			else {
				try (SafetensorsFile f = SafetensorsFile.open(r.outputs().get(0))) {
					String key = values.keySet().iterator().next();
					assertArrayEquals(values.get(key).toFloatArray(), f.floats(key), key);
				}
				assertTrue(LoraFile.readBundledEmbeddings(r.outputs().get(0)).isEmpty());
			}
		}
	}

	/**
	 * A float16 overflow of the scaled gradients skips the update, leaves the master untouched and
	 * halves the scale; the NaN guard does not stop the run for it. The next step at a sane scale updates.
	 */
	@Test
	void anOverflowSkipsTheStepAndHalvesTheScale() throws Exception {
		try (StableDiffusionModel model = StableDiffusionModel.load(io.github.diffusej.testutil.Golden.tinySd1Model(),
			io.github.diffusej.model.loader.LoadOptions.defaults(), Device.cpu(), DataType.FLOAT16, x -> {});
			ai.djl.ndarray.NDManager m = model.manager().newSubManager();
			Trainables trainables = new Trainables(m.newSubManager());
			TextualInversion ti = new TextualInversion())
		{
			ti.attach(model, TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION), trainables, new io.github.diffusej.Rng(1));
			io.github.diffusej.schedule.NoiseSchedule schedule = io.github.diffusej.schedule.NoiseSchedule.of(model.schedulerConfig());
			LossScaler scaler = new LossScaler(); // 2^15
			TrainingStep step = new TrainingStep(model, ti, trainables, new DiffusionLoss(schedule, schedule.predictionType(), 0),
				1, Map.of(), scaler);
			io.github.diffusej.train.optim.AdamW adam = new io.github.diffusej.train.optim.AdamW(trainables.manager(), 0.9,
				0.999, 1e-8, 0);
			float[] before = trainables.get("<my-cell>").toFloatArray();
			java.util.Random r = new java.util.Random(4);
			for (int k = 0; k < 2; k++) {
				try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope(); ai.djl.ndarray.NDManager s = m.newSubManager()) {
					ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(1, model.latentChannels(), 4, 4);
					float[] x = new float[(int) shape.size()], e = new float[x.length];
					for (int i = 0; i < x.length; i++) {
						x[i] = (float) r.nextGaussian();
						// the first step's target is far off, so that its scaled gradient overflows float16 in backward
						// (2 x 40 / 64 elements x 1.9 x 2^15 > 65504) while its loss stays finite
						e[i] = (float) r.nextGaussian() * (k == 0 ? 40 : 1);
					}
					StepInputs in = new StepInputs(s.create(x, shape), s.create(model.tokenizer().encode77("a photo of <my-cell>"),
						new ai.djl.ndarray.types.Shape(1, 77)), s.create(e, shape), new long[] {300}, null, null);
					double loss = step.accumulate(in, null, k == 0 ? 1.9 : 1.0);
					assertTrue(Double.isFinite(loss), "the loss itself is finite: " + loss);
					TrainingStep.Update u = step.apply(adam, 1e-2, 0);
					if (k == 0) {
						assertFalse(u.applied(), "an overflowed step is skipped");
						assertTrue(u.finite(), "and is not a reason to stop the run");
						assertEquals(16384, scaler.scale(), 0.0, "the scale is halved");
						assertArrayEquals(before, trainables.get("<my-cell>").toFloatArray(), "the master is untouched");
						assertTrue(trainables.gradients().isEmpty(), "the overflowed gradients are dropped");
					}
					else {
						assertTrue(u.applied() && u.finite());
						assertFalse(java.util.Arrays.equals(before, trainables.get("<my-cell>").toFloatArray()), "no update");
					}
				}
			}
			adam.close();
		}
	}

	@Test
	void textualInversionInFloat16() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		check(TrainFixtures.tinyTi(ds, 3).with(Map.of("mixed_precision", "fp16", "optimizer.learning_rate", "0.05")),
			tmp.resolve("ti"), "my-cell.safetensors");
	}

	@Test
	void loraInFloat16() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		check(LoraTrainingTest.tinyLora(ds, 3).with(Map.of("mixed_precision", "fp16", "optimizer.learning_rate", "1e-2",
			"lora.text_encoder", "true")), tmp.resolve("lora"), "my-cell-lora.safetensors");
	}
}
