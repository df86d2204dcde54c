package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.testutil.Golden;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation during training: the validation loss on the dataset's validation split (a DiffuseJ dataset made
 * here: {@code dataset.json} with {@code train/} and {@code validation/} caption folders) is a pure function of the
 * weights, the lowest is exported to {@code RUN/best/}, and the validation images come at step 0 and at the end,
 * for every prompt and seed, with the same seeds (equal PNG bytes in two runs), reported with their paths.
 */
class ValidationTest {

	@TempDir
	Path tmp;

	/** A DiffuseJ dataset with a validation split (caption-dir format, as DatasetBuilder writes it). */
	static Path datasetWithValidation(Path root) throws Exception {
		TrainFixtures.captionFolder(root.resolve("train"), 2, 0);
		TrainFixtures.captionFolder(root.resolve("validation-src"), 4, 1);
		Files.createDirectories(root.resolve("validation"));
		for (String n : List.of("img02", "img03")) // other images than the training ones
			for (String ext : List.of(".png", ".txt"))
				Files.move(root.resolve("validation-src/" + n + ext), root.resolve("validation/" + n + ext));
		io.github.diffusej.data.DatasetWriter.writeManifest(root, new io.github.diffusej.data.DatasetManifest(
			io.github.diffusej.data.DatasetManifest.FORMAT_VERSION, "DiffuseJ test", "2025-01-01T00:00:00Z",
			"2025-01-01T00:00:00Z", true, List.of("caption-dir"), null, null, null, null, null));
		return root;
	}

	static class Recorder implements TrainingListener {
		final List<int[]> losses = new ArrayList<>(); // {step, best ? 1 : 0}
		final List<Double> lossValues = new ArrayList<>();
		final List<Object[]> images = new ArrayList<>(); // {step, index, count, png}
		final List<Integer> steps = new ArrayList<>();
		TrainingResult result;
		int finishAfter = -1;

		@Override
		public void validationLoss(int step, double loss, boolean best) {
			losses.add(new int[] {step, best ? 1 : 0});
			lossValues.add(loss);
		}

		@Override
		public void validationImage(int step, int index, int count, GeneratedImage image, Path png) {
			assertNotNull(image);
			images.add(new Object[] {step, index, count, png});
		}

		@Override
		public void step(StepReport r) {
			steps.add(r.step());
		}

		@Override
		public Request poll() {
			return steps.size() == finishAfter ? Request.FINISH : Request.NONE;
		}

		@Override
		public void finished(TrainingResult r) {
			result = r;
		}
	}

	private TrainingResult run(TrainConfig c, Path dir, Recorder rec) throws Exception {
		try (Trainer t = Trainer.open(c, dir, false, Device.cpu(), rec)) {
			TrainingResult r = t.run();
			assertEquals(TrainingResult.Status.FINISHED, r.status(), () -> String.valueOf(r.error()));
			return r;
		}
	}

	@Test
	void validationLossIsAFunctionOfTheWeightsAndTheBestIsExported() throws Exception {
		Path ds = datasetWithValidation(tmp.resolve("ds"));
		// lr high enough that the loss moves, one validation per step, a checkpoint per step to compare "best" with
		TrainConfig c = TrainFixtures.tinyTi(ds, 3).with(Map.of("optimizer.learning_rate", "0.05",
			"validation.every_steps", "1", "checkpoints.every_steps", "1", "checkpoints.keep", "0"));

		// no step at all: the loss of the same weights twice (the second from the latent cache)
		Recorder none = new Recorder();
		none.finishAfter = 0;
		run(c, tmp.resolve("none"), none);
		assertEquals(2, none.lossValues.size(), "step 0, then the end (still step 0)");
		assertEquals(none.lossValues.get(0), none.lossValues.get(1), 0.0, "two evaluations of the same weights");
		assertTrue(Double.isFinite(none.lossValues.get(0)) && none.lossValues.get(0) > 0);

		Recorder rec = new Recorder();
		TrainingResult r = run(c, tmp.resolve("run"), rec);
		assertEquals(none.lossValues.get(0), rec.lossValues.get(0), 0.0, "step 0 of another run on the same weights");
		assertEquals(List.of(0, 1, 2, 3), rec.losses.stream().map(x -> x[0]).toList());
		int best = 0;
		for (int i = 1; i < rec.lossValues.size(); i++) if (rec.lossValues.get(i) < rec.lossValues.get(best)) best = i;
		System.out.println("validation losses " + rec.lossValues + ", best at step " + best);
		assertFalse(rec.lossValues.stream().distinct().count() == 1, "training did not change the validation loss");
		double lowest = Double.POSITIVE_INFINITY;
		for (int i = 0; i < rec.lossValues.size(); i++) {
			boolean isBest = rec.lossValues.get(i) < lowest;
			assertEquals(isBest ? 1 : 0, rec.losses.get(i)[1], "best flag at step " + i);
			lowest = Math.min(lowest, rec.lossValues.get(i));
		}
		Path bestDir = tmp.resolve("run/best");
		JsonObject bestJson = JsonParser.parseString(Files.readString(bestDir.resolve("best.json"))).getAsJsonObject();
		assertEquals(best, bestJson.get("step").getAsInt());
		assertEquals(rec.lossValues.get(best), bestJson.get("validation_loss").getAsDouble(), 1e-7 * lowest);
		assertEquals(bestDir.resolve("my-cell.safetensors"), r.best());
		assertEquals(rec.lossValues.get(best), r.bestValidationLoss(), 0.0);
		assertTrue(Files.isRegularFile(bestDir.resolve("learned_embeds.safetensors")));
		// the best file holds the weights of that step: those of the checkpoint of the same step
		float[] bestRow = floats(bestDir.resolve("my-cell.safetensors"));
		float[] atStep;
		if (best == 0) {
			try (StableDiffusionModel m = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
				Device.cpu(), DataType.FLOAT32, x -> {}))
			{
				atStep = Placeholder.fromWords(m, "cell", 1, "test")[0];
			}
		}
		else atStep = floats(tmp.resolve(String.format("run/checkpoints/checkpoint-step_%08d/my-cell.safetensors", best)));
		assertArrayEquals(atStep, bestRow, "best/ holds the weights of step " + best);
		long rows = LossLog.read(tmp.resolve("run/loss.csv")).stream().filter(x -> !Double.isNaN(x.validationLoss())).count();
		assertEquals(4, rows, "validation losses in loss.csv");
	}

	private static float[] floats(Path embedding) throws Exception {
		try (SafetensorsFile f = SafetensorsFile.open(embedding)) {
			return f.floats("emb_params");
		}
	}

	@Test
	void validationImagesForEveryPromptAndSeedAtTheStartAndTheEnd() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(ds, 2).with(Map.of("validation.prompts", "a photo of {token}|{caption}",
			"validation.seeds", "3, 17", "validation.steps", "1", "validation.guidance_scale", "1",
			"validation.every_steps", "0", "optimizer.learning_rate", "0.05"));
		Recorder a = new Recorder(), b = new Recorder();
		run(c, tmp.resolve("a"), a);
		run(c, tmp.resolve("b"), b);
		assertEquals(8, a.images.size(), "2 prompts x 2 seeds at step 0 and at step 2");
		for (int i = 0; i < 8; i++) {
			Object[] im = a.images.get(i);
			int step = i < 4 ? 0 : 2;
			assertEquals(step, im[0]);
			assertEquals(i % 4, im[1]);
			assertEquals(4, im[2]);
			Path png = (Path) im[3];
			assertEquals(tmp.resolve(String.format("a/validation/step_%08d", step)), png.getParent());
			assertTrue(Files.isRegularFile(png), png + " reported but not written");
			long seed = i % 2 == 0 ? 3 : 17;
			assertTrue(png.getFileName().toString().startsWith(String.format("prompt_%02d-0000-%d", (i % 4) / 2, seed)),
				png.getFileName().toString());
			Path other = (Path) b.images.get(i)[3];
			assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(other), "same prompt and seed in two runs: " + png);
		}
		try (var s = Files.list(tmp.resolve("a/validation/step_00000000"))) {
			assertEquals(4, s.count());
		}
		// the placeholder's image changes as it trains (same prompt and seed, step 0 vs step 2)
		assertFalse(java.util.Arrays.equals(pixels((Path) a.images.get(0)[3]), pixels((Path) a.images.get(4)[3])),
			"the trained placeholder did not change its validation image");
	}

	private static int[] pixels(Path png) throws Exception {
		BufferedImage im = ImageIO.read(png.toFile());
		int[] argb = im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth());
		for (int i = 0; i < argb.length; i++) argb[i] &= 0xFFFFFF; // as GeneratedImage.rgb(): no alpha
		return argb;
	}

	/**
	 * With {@code loss.prediction_type} overriding the model's (here v_prediction on tiny-sd1, an epsilon model, as
	 * for an SD 2.x 768-v checkpoint whose type was not detected), the validation images are sampled with that
	 * type too, like the loss: they equal a generation with the same override.
	 */
	@Test
	void validationImagesUseTheRunsPredictionType() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(ds, 1).with(Map.of("validation.prompts", "a photo of a dish",
			"validation.seeds", "5", "validation.steps", "2", "validation.guidance_scale", "1",
			"loss.prediction_type", "v_prediction"));
		Recorder rec = new Recorder();
		rec.finishAfter = 0;
		run(c, tmp.resolve("run"), rec);
		int[] got = pixels((Path) rec.images.get(0)[3]);
		int[][] want = new int[2][];
		try (StableDiffusionModel m = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(), Device.cpu(),
			DataType.FLOAT32, x -> {}))
		{
			for (PredictionType p : List.of(PredictionType.V_PREDICTION, PredictionType.EPSILON)) {
				GenerationRequest r = new GenerationRequest(m.source(), null, "a photo of a dish", "", 2, 1, "DDIM", 5, 32, 32,
					1, 1, null, null, null, p);
				want[p == PredictionType.V_PREDICTION ? 0 : 1] = TextToImage.generate(m, r, TextToImage.Listener.of((d, n, msg) -> {})).get(0).rgb();
			}
		}
		assertFalse(java.util.Arrays.equals(want[0], want[1]), "the prediction type must matter for this test");
		assertArrayEquals(want[0], got, "validation image sampled as v_prediction");
	}
}
