package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.testutil.Golden;
import io.github.diffusej.train.data.BatchPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of the loop between the data and the optimizer, on one tiny-sd1 model: gradient accumulation equals one
 * big batch, caption dropout reaches the text encoder as an empty caption, regularisation images carry their loss
 * weight, and {@code epochs} (with {@code data.repeats} and accumulation) decides the run's length when
 * {@code steps} is 0.
 */
class TrainingDataAndStepTest {

	@TempDir
	static Path tmp;

	static StableDiffusionModel model;
	static NDManager manager;
	static Trainables trainables;
	static TextualInversion ti;
	static TrainingStep step;

	@BeforeAll
	static void load() throws Exception {
		model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(), Device.cpu(), DataType.FLOAT32,
			x -> {});
		manager = model.manager().newSubManager();
		trainables = new Trainables(manager.newSubManager());
		ti = new TextualInversion();
		ti.attach(model, TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION), trainables, new io.github.diffusej.Rng(1));
		NoiseSchedule schedule = NoiseSchedule.of(model.schedulerConfig());
		step = new TrainingStep(model, ti, trainables, new DiffusionLoss(schedule, schedule.predictionType(), 0), 1,
			Map.of(), null);
	}

	@AfterAll
	static void close() {
		ti.close();
		trainables.close();
		manager.close();
		model.close();
	}

	private static float[] gaussians(Random r, int n, double scale) {
		float[] f = new float[n];
		for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * scale);
		return f;
	}

	/**
	 * Two micro-batches of one image each, each weighted 1/2, give the gradient and the mean loss of one batch of both
	 * images (a plain mean loss over images of one size).
	 */
	@Test
	void gradientAccumulationEqualsOneBigBatch() {
		Random r = new Random(9);
		int c = model.latentChannels(), h = 4, w = 4, per = c * h * w;
		float[] x0 = gaussians(r, 2 * per, 0.8), noise = gaussians(r, 2 * per, 1);
		long[] ids = new long[2 * 77];
		System.arraycopy(model.tokenizer().encode77("a photo of <my-cell>"), 0, ids, 0, 77);
		System.arraycopy(model.tokenizer().encode77("<my-cell> under a microscope, green"), 0, ids, 77, 77);
		long[] t = {120, 770};
		float[] big, accumulated;
		double bigLoss, lossA, lossB;
		try (NDScope scope = new NDScope(); NDManager s = manager.newSubManager()) {
			Shape two = new Shape(2, c, h, w);
			bigLoss = step.accumulate(new StepInputs(s.create(x0, two), s.create(ids, new Shape(2, 77)), s.create(noise, two),
				t, null, null), null, 1.0);
			big = trainables.gradients().get("<my-cell>").toFloatArray();
			trainables.clearGradients();
			double[] l = new double[2];
			for (int i = 0; i < 2; i++) {
				Shape one = new Shape(1, c, h, w);
				float[] xi = java.util.Arrays.copyOfRange(x0, i * per, (i + 1) * per);
				float[] ni = java.util.Arrays.copyOfRange(noise, i * per, (i + 1) * per);
				long[] idi = java.util.Arrays.copyOfRange(ids, i * 77, (i + 1) * 77);
				l[i] = step.accumulate(new StepInputs(s.create(xi, one), s.create(idi, new Shape(1, 77)), s.create(ni, one),
					new long[] {t[i]}, null, null), null, 0.5);
			}
			lossA = l[0];
			lossB = l[1];
			accumulated = trainables.gradients().get("<my-cell>").toFloatArray();
			trainables.clearGradients();
		}
		assertEquals(bigLoss, (lossA + lossB) / 2, 1e-6 * bigLoss, "mean loss");
		double scale = 0;
		for (float g : big) scale = Math.max(scale, Math.abs(g));
		assertTrue(scale > 0, "no gradient reached the placeholder");
		TextualInversionGoldenTest.assertClose("accumulated vs one batch", big, accumulated, 1e-5 * scale, 1e-4);
	}

	private static TrainingData data(TrainConfig c, Dataset ds, Dataset reg) throws Exception {
		return new TrainingData(model, c, ds, reg, tmp, ti.trigger(), m -> {});
	}

	@Test
	void captionDropoutReachesTheTextEncoderAsAnEmptyCaption() throws Exception {
		Dataset ds = DatasetReader.read(TrainFixtures.captionFolder(tmp.resolve("drop"), 2, 0));
		TrainConfig all = TrainFixtures.tinyTi(tmp.resolve("drop"), 10).with("captions.dropout", "1");
		long[] empty = model.tokenizer().encode77("");
		TrainingData d = data(all, ds, null);
		try {
			for (int i = 0; i < 4; i++) {
				try (NDScope scope = new NDScope(); NDManager s = manager.newSubManager()) {
					TrainingData.Inputs in = d.inputs(i, s, step, ti);
					assertEquals(List.of(""), in.captions());
					assertArrayEquals(empty, in.step().ids().toLongArray(), "the ids of an empty caption");
				}
			}
		}
		finally {
			d.close();
		}
		TrainingData half = data(TrainFixtures.tinyTi(tmp.resolve("drop"), 10).with("captions.dropout", "0.5"), ds, null);
		int dropped = 0, kept = 0;
		try {
			for (int i = 0; i < 16; i++) {
				try (NDScope scope = new NDScope(); NDManager s = manager.newSubManager()) {
					String caption = half.inputs(i, s, step, ti).captions().get(0);
					if (caption.isEmpty()) dropped++;
					else {
						kept++;
						assertTrue(caption.contains("<my-cell>"), caption);
					}
				}
			}
		}
		finally {
			half.close();
		}
		assertTrue(dropped > 0 && kept > 0, dropped + " dropped, " + kept + " kept of 16");
	}

	@Test
	void regularisationImagesCarryTheirLossWeight() throws Exception {
		Path train = TrainFixtures.captionFolder(tmp.resolve("train"), 3, 0);
		Path reg = TrainFixtures.captionFolder(tmp.resolve("class"), 2, 0);
		TrainConfig c = TrainFixtures.tinyTi(train, 10).with(Map.of("data.regularization_dataset", reg.toString(),
			"data.regularization_weight", "0.3", "batch_size", "2", "captions.mode", "dataset"));
		TrainingData d = data(c, DatasetReader.read(train), DatasetReader.read(reg));
		int regular = 0, training = 0;
		try {
			assertTrue(d.plan().hasRegularisation());
			long perEpoch = d.microBatches(1);
			for (long i = 0; i < perEpoch; i++) {
				try (NDScope scope = new NDScope(); NDManager s = manager.newSubManager()) {
					TrainingData.Inputs in = d.inputs(i, s, step, ti);
					BatchPlan.Batch b = d.plan().batch(in.position().epoch(), in.position().batch());
					double[] w = in.step().weights();
					assertEquals(b.size(), w.length);
					if (i == 0) {
						// the weighted loss through the step, forward and backward (it once threw without masks)
						double l = step.accumulate(in.step(), in.context(), 1.0);
						assertTrue(Double.isFinite(l) && l > 0, "weighted loss " + l);
						trainables.clearGradients();
					}
					for (int k = 0; k < w.length; k++) {
						boolean isReg = b.samples().get(k).regularisation();
						assertEquals(isReg ? 0.3 : 1.0, w[k], 0.0, "weight of sample " + k + " of micro-batch " + i);
						if (isReg) {
							regular++;
							assertTrue(!in.captions().get(k).contains("<my-cell>"), "a class image's caption: " + in.captions().get(k));
						}
						else training++;
					}
				}
			}
		}
		finally {
			d.close();
		}
		assertEquals(3, training, "every training image once per epoch");
		assertEquals(3, regular, "as many regularisation examples as training examples per epoch");
		// without a regularisation set there are no weights at all (the plain mean loss)
		TrainingData plain = data(TrainFixtures.tinyTi(train, 10), DatasetReader.read(train), null);
		try (NDScope scope = new NDScope(); NDManager s = manager.newSubManager()) {
			assertNull(plain.inputs(0, s, step, ti).step().weights());
		}
		finally {
			plain.close();
		}
	}

	/**
	 * {@code steps: 0}: {@code epochs} decide, with repeats and buckets counted per epoch and gradient accumulation
	 * dividing (rounded up). 3 square and 2 wide images, 2 repeats, batch 2: per epoch 6 square examples (3 batches)
	 * and 4 wide ones (2 batches); 2 epochs = 10 micro-batches = 4 steps of 3.
	 */
	@Test
	void epochsDecideTheStepCountWhenStepsIsZero() throws Exception {
		Path ds = TrainFixtures.captionFolder(tmp.resolve("epochs"), 5, 2);
		TrainConfig c = TrainFixtures.tinyTi(ds, 1).with(Map.of("steps", "0", "epochs", "2", "data.repeats", "2",
			"batch_size", "2", "gradient_accumulation_steps", "3"));
		TrainingData d = data(c, DatasetReader.read(ds), null);
		try {
			assertEquals(5, d.microBatches(1));
			assertEquals(10, d.microBatches(2));
			int squares = 0, wides = 0;
			for (BatchPlan.Batch b : d.plan().epoch(0)) {
				if (b.bucket().width() == b.bucket().height()) squares += b.size();
				else wides += b.size();
			}
			assertEquals(6, squares, "3 square images x 2 repeats");
			assertEquals(4, wides, "2 wide images x 2 repeats");
		}
		finally {
			d.close();
		}
		List<Integer> steps = new ArrayList<>();
		try (Trainer t = Trainer.open(c, tmp.resolve("epochs-run"), false, Device.cpu(), new TrainingListener() {
			@Override
			public void step(StepReport r) {
				steps.add(r.epoch());
			}
		})) {
			assertEquals(4, t.totalSteps());
			assertEquals(TrainingResult.Status.FINISHED, t.run().status());
		}
		assertEquals(4, steps.size());
		assertEquals(0, steps.get(0), "the first step lies in epoch 0");
	}
}
