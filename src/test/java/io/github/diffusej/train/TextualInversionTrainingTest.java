package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.testutil.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Textual inversion through the whole loop on tiny-sd1 (golden), with a dataset made in the test. */
class TextualInversionTrainingTest {

	@TempDir
	Path tmp;

	/** Records what the loop reports. */
	static class Recorder implements TrainingListener {
		final List<StepReport> steps = new ArrayList<>();
		final List<Integer> checkpoints = new ArrayList<>();
		final List<String> messages = new ArrayList<>();
		final List<Double> validationLosses = new ArrayList<>();
		TrainingResult result;
		RunInfo info;

		@Override
		public void started(RunInfo i) {
			info = i;
		}

		@Override
		public void step(StepReport r) {
			steps.add(r);
		}

		@Override
		public void checkpointSaved(int step, Path folder) {
			checkpoints.add(step);
		}

		@Override
		public void message(String text) {
			messages.add(text);
		}

		@Override
		public void validationLoss(int step, double loss, boolean best) {
			validationLosses.add(loss);
		}

		@Override
		public void finished(TrainingResult r) {
			result = r;
		}
	}

	@Test
	void trainingLowersTheLossAndLeavesTheTokenTableAlone() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 4, 1);
		TrainConfig c = TrainFixtures.tinyTi(ds, 200).with(Map.of("optimizer.learning_rate", "0.02",
			"batch_size", "2", "captions.mode", "dataset", "captions.replace_word", "cell"));
		Recorder rec = new Recorder();
		float[] table;
		try (StableDiffusionModel fresh = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, m -> {}))
		{
			table = fresh.textEncoder().embeddings().tokenEmbedding().weight().array().toFloatArray();
		}
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status(), () -> String.valueOf(r.error()));
			assertEquals(200, rec.steps.size());
			double first = rec.steps.subList(0, 50).stream().mapToDouble(TrainingListener.StepReport::loss).average().orElseThrow();
			double last = rec.steps.subList(150, 200).stream().mapToDouble(TrainingListener.StepReport::loss).average().orElseThrow();
			System.out.printf("TI loss: first 50 steps %.5f, last 50 steps %.5f%n", first, last);
			assertTrue(last < first, "mean loss of the last 50 steps " + last + " is not below the first 50 " + first);
			assertArrayEquals(table, t.model().textEncoder().embeddings().tokenEmbedding().weight().array().toFloatArray(),
				"a frozen token row changed");

			// the files load back through the generation pipeline and give the in-memory prompt embeddings
			Path embParams = tmp.resolve("run/my-cell.safetensors");
			Path diffusers = tmp.resolve("run/learned_embeds.safetensors");
			assertEquals(List.of(embParams, diffusers), r.outputs());
			try (SafetensorsFile f = SafetensorsFile.open(embParams)) {
				assertEquals(java.util.Set.of("emb_params"), f.names());
				assertEquals("stable-diffusion-v1/textual-inversion", f.metadata().get("modelspec.architecture"));
				assertEquals("<my-cell>", f.metadata().get("modelspec.trigger_phrase"));
				assertEquals("32x32", f.metadata().get("modelspec.resolution"));
				assertNotNull(f.metadata().get("modelspec.date"));
			}
			try (SafetensorsFile f = SafetensorsFile.open(diffusers)) {
				assertEquals(java.util.Set.of("<my-cell>"), f.names());
			}
			String prompt = "a fluorescent micrograph of <my-cell>";
			float[] inMemory;
			try (NDManager s = t.model().manager().newSubManager(); GradMode ng = GradMode.noGrad()) {
				inMemory = TextToImage.encodePrompts(t.model(), s, prompt, "", 1, PromptChunks.LongPrompts.CHUNK, false)
					.toFloatArray();
			}
			for (Path file : List.of(embParams, diffusers)) {
				try (StableDiffusionModel m = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
					Device.cpu(), DataType.FLOAT32, x -> {});
					NDManager s = m.manager().newSubManager(); GradMode ng = GradMode.noGrad())
				{
					Embedding e = EmbeddingFile.read(file, file == embParams ? "<my-cell>" : null);
					m.addEmbedding(e);
					assertArrayEquals(inMemory, TextToImage.encodePrompts(m, s, prompt, "", 1,
						PromptChunks.LongPrompts.CHUNK, false).toFloatArray(), file + " gives other prompt embeddings");
				}
			}
			assertTrue(Files.isRegularFile(tmp.resolve("run/config.json")));
			assertEquals(201, TrainFixtures.lines(tmp.resolve("run/loss.csv")).size(), "header + one row per step");
		}
	}

	@Test
	void resumeContinuesBitForBit() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 5, 2);
		TrainConfig c = TrainFixtures.tinyTi(ds, 100).with(Map.of("batch_size", "2", "gradient_accumulation_steps", "2",
			"data.flip", "true", "ema.enabled", "true", "checkpoints.every_steps", "50", "checkpoints.keep", "0",
			"captions.mode", "object"));
		float[] straight = train(c, tmp.resolve("straight"), false, null);
		// the same run, stopped at step 50 and resumed in a new trainer
		Recorder stop = new Recorder() {
			@Override
			public Request poll() {
				return steps.size() == 50 ? Request.CANCEL : Request.NONE;
			}
		};
		train(c, tmp.resolve("resumed"), false, stop);
		assertEquals(TrainingResult.Status.CANCELLED, stop.result.status());
		assertTrue(Files.isRegularFile(tmp.resolve("resumed/checkpoints/checkpoint-step_00000050/state.json")));
		float[] resumed = train(TrainConfig.read(tmp.resolve("resumed/config.json")), tmp.resolve("resumed"), true, null);
		assertArrayEquals(straight, resumed, "100 steps straight and 50 + resume + 50 differ");
		assertEquals(TrainFixtures.lines(tmp.resolve("straight/loss.csv")).size(),
			TrainFixtures.lines(tmp.resolve("resumed/loss.csv")).size(), "loss.csv of the resumed run");
	}

	/** Trains and returns the exported (EMA) embedding values. */
	private float[] train(TrainConfig c, Path run, boolean resume, Recorder rec) throws Exception {
		Recorder r = rec == null ? new Recorder() : rec;
		try (Trainer t = Trainer.open(c, run, resume, Device.cpu(), r)) {
			TrainingResult result = t.run();
			if (result.status() == TrainingResult.Status.FAILED) throw new AssertionError(result.error());
			if (result.status() != TrainingResult.Status.FINISHED) return null;
			try (SafetensorsFile f = SafetensorsFile.open(run.resolve("my-cell.safetensors"))) {
				return f.floats("emb_params");
			}
		}
	}

	@Test
	void aNonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(ds, 40).with(Map.of("optimizer.learning_rate", "1e5",
			"optimizer.max_grad_norm", "0", "checkpoints.every_steps", "1"));
		Recorder rec = new Recorder();
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FAILED, r.status());
			assertTrue(r.error().contains("became NaN") || r.error().contains("became infinite"), r.error());
			assertTrue(r.error().contains("learning rate"), r.error());
			assertTrue(r.step() < 40);
			assertTrue(r.error().contains("last good checkpoint"), r.error());
		}
		Path last = tmp.resolve("run/checkpoints").resolve(String.format("checkpoint-step_%08d", rec.checkpoints
			.get(rec.checkpoints.size() - 1)));
		Checkpoint.Loaded l = Checkpoint.read(last); // finite values only, or read would refuse it
		assertEquals(rec.checkpoints.get(rec.checkpoints.size() - 1), l.state().step());
	}

	@Test
	void badRunFoldersAreRefusedBeforeTheModelLoads() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		Path file = Files.writeString(tmp.resolve("a-file"), "x");
		TrainConfig c = TrainFixtures.tinyTi(ds, 2);
		TrainingException e = assertThrows(TrainingException.class,
			() -> Trainer.open(c, file.resolve("run"), false, Device.cpu(), TrainingListener.NONE));
		assertTrue(e.getMessage().contains("a-file"), e.getMessage());
		TrainingException f = assertThrows(TrainingException.class,
			() -> Trainer.open(c, file, false, Device.cpu(), TrainingListener.NONE));
		assertTrue(f.getMessage().contains("is a file"), f.getMessage());
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), TrainingListener.NONE)) {
			assertEquals(TrainingResult.Status.FINISHED, t.run().status());
		}
		TrainingException again = assertThrows(TrainingException.class,
			() -> Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), TrainingListener.NONE));
		assertTrue(again.getMessage().contains("already holds a training run"), again.getMessage());
	}

	@Test
	void cancelWritesAResumableCheckpoint() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(ds, 30);
		Recorder rec = new Recorder() {
			@Override
			public Request poll() {
				return steps.size() == 7 ? Request.CANCEL : steps.size() == 3 ? Request.SAVE_NOW : Request.NONE;
			}
		};
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.CANCELLED, r.status());
			assertEquals(7, r.step());
		}
		assertEquals(List.of(3, 7), rec.checkpoints);
		assertTrue(Files.isRegularFile(tmp.resolve("run/checkpoints/checkpoint-step_00000007/my-cell.safetensors")));
		Recorder finish = new Recorder() {
			@Override
			public Request poll() {
				return steps.size() == 2 ? Request.FINISH : Request.NONE;
			}
		};
		try (Trainer t = Trainer.open(TrainConfig.read(tmp.resolve("run/config.json")), tmp.resolve("run"), true,
			Device.cpu(), finish))
		{
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status());
			assertEquals(9, r.step(), "resumed at 7, finished after 2 more steps");
			assertTrue(Files.isRegularFile(tmp.resolve("run/my-cell.safetensors")));
		}
	}
	/**
	 * Ctrl-C and a cluster's SIGTERM reach the run as an interrupt of its thread (the CLI's shutdown hook): the run
	 * ends cancelled with a checkpoint of the last finished step, which needs the interrupt cleared before any file
	 * is written (an interrupted thread's file channels close at once).
	 */
	@Test
	void anInterruptCancelsWithACheckpoint() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(ds, 30);
		Recorder rec = new Recorder() {
			@Override
			public void step(StepReport r) {
				super.step(r);
				if (steps.size() == 4) Thread.currentThread().interrupt();
			}
		};
		try (Trainer t = Trainer.open(c, tmp.resolve("run"), false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.CANCELLED, r.status(), () -> String.valueOf(r.error()));
			assertEquals(4, r.step());
		}
		finally {
			Thread.interrupted(); // never leak the flag into the next test
		}
		assertEquals(List.of(4), rec.checkpoints);
		assertTrue(Files.isRegularFile(tmp.resolve("run/checkpoints/checkpoint-step_00000004/trainables.safetensors")));
		assertEquals(5, TrainFixtures.lines(tmp.resolve("run/loss.csv")).size(), "a header and 4 steps");
		// resumed with fewer steps in all (as a flag would give): config.json then says what the run is now
		TrainConfig shorter = TrainConfig.read(tmp.resolve("run/config.json")).with("steps", "6");
		try (Trainer t = Trainer.open(shorter, tmp.resolve("run"), true, Device.cpu(), TrainingListener.NONE)) {
			assertEquals(TrainingResult.Status.FINISHED, t.run().status());
		}
		assertEquals(6, TrainConfig.read(tmp.resolve("run/config.json")).steps());
		assertEquals(7, TrainFixtures.lines(tmp.resolve("run/loss.csv")).size(), "a header and 6 steps");
	}
}
