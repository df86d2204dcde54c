package io.github.diffusej.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.io.AtomicFiles;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.train.DiffusionLoss;
import io.github.diffusej.train.LoraTraining;
import io.github.diffusej.train.StepInputs;
import io.github.diffusej.train.TextualInversion;
import io.github.diffusej.train.Trainables;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.Trainer;
import io.github.diffusej.train.TrainingListener;
import io.github.diffusej.train.TrainingMethod;
import io.github.diffusej.train.TrainingResult;
import io.github.diffusej.train.TrainingStep;
import io.github.diffusej.train.optim.AdamW;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The training rows of the benchmark, measured through the training core itself: a method
 * ({@link TextualInversion}, {@link LoraTraining}) attached to the model as a run attaches it, one micro-batch
 * through {@link TrainingStep#accumulate} (noise, text conditioning, UNet, loss, backward) and the optimizer step
 * ({@link TrainingStep#apply} with {@link AdamW}), each in the scopes {@link Trainer}'s loop opens. A timed run is
 * one whole optimizer step. The inputs stand for what a run has cached by then: latents (the latent cache) and,
 * for a frozen text encoder, the caption's text conditioning (computed once, as the run's context cache does).
 *
 * <p>The loop rows run {@link Trainer} itself for 500 steps on the tiny model and a dataset made in a temporary
 * folder, and record resident memory after step 50 and step 500: the loop's memory must stay flat.
 */
final class TrainingCases {

	/** Steps of the memory-flatness loop, and the step after which its baseline RSS is taken. */
	static final int LOOP_STEPS = 500;
	static final int LOOP_BASELINE = 50;
	/**
	 * The loop's Java heap, committed and touched at start: a heap grown on demand makes RSS rise by the pages the
	 * young generation touches for the first time (about 190 MB over the first 200 tiny steps here, flat after),
	 * which says nothing about what the loop keeps.
	 */
	static final String LOOP_HEAP = "256m";

	private static final String CAPTION = "a fluorescent micrograph of {token}, green stain";

	private TrainingCases() {}

	/** The config a step row trains with: the method's defaults, LoRA rank 4 (alpha 4) on the attention projections. */
	static TrainConfig config(TrainConfig.Method method, boolean checkpointing) {
		return TrainConfig.defaults(method).with(Map.of("lora.rank", "4", "lora.alpha", "4", "lora.targets", "attention",
			"captions.trigger", "<my-cell>", "gradient_checkpointing", Boolean.toString(checkpointing)));
	}

	/** One optimizer step of {@code method} at {@code px} x {@code px}, batch 1, through the training core. */
	static BenchCase.Outcome step(BenchContext c, int warmups, int repeats, int px, TrainConfig.Method method,
		boolean checkpointing) throws Exception
	{
		StableDiffusionModel model = c.pipeline();
		TrainConfig config = config(method, checkpointing);
		model.unet().setGradientCheckpointing(config.gradientCheckpointing());
		try (Trainables trainables = new Trainables(model.manager().newSubManager());
			TrainingMethod m = method == TrainConfig.Method.LORA ? new LoraTraining() : new TextualInversion();
			NDManager cache = model.manager().newSubManager())
		{
			m.attach(model, config, trainables, Rng.stream(config.seed(), "init"));
			NoiseSchedule schedule = NoiseSchedule.of(model.schedulerConfig());
			PredictionType prediction = schedule.predictionType();
			TrainingStep step = new TrainingStep(model, m, trainables, new DiffusionLoss(schedule, prediction, 0),
				config.clipSkip(), Map.of(), null);
			TrainConfig.Optimizer o = config.optimizer();
			AdamW adam = new AdamW(trainables.manager(), o.beta1(), o.beta2(), o.epsilon(), o.weightDecay());
			String caption = CAPTION.replace("{token}", m.trigger());
			long[] ids = model.tokenizer().encode77(model.expandTriggers(caption));
			NDArray context = null;
			if (!m.trainsTextEncoder()) context = step.frozenContext(cache.create(ids, new Shape(1, 77)));
			Shape ls = step.latentShape(1, px, px);
			int per = (int) ls.size();
			int total = model.schedulerConfig().numTrainTimesteps();
			Rng noiseRng = Rng.stream(config.seed(), "noise");
			float[] x0 = Rng.stream(config.seed(), "latents").gaussians(per);
			NDArray ctx = context;
			double[] last = new double[3];
			c.note(String.format(Locale.ROOT, "%s, %d trainable values, %s latents, AdamW lr %.3g%s%s", m.label(),
				trainables.elementCount(), ls, o.learningRate(), checkpointing ? ", gradient checkpointing" : "",
				ctx != null ? ", frozen text encoder (context cached)" : ", backward through the text encoder"));
			List<Double> s = c.time(warmups, repeats, () -> {
				try (NDScope scope = new NDScope(); NDManager sm = model.manager().newSubManager()) {
					StepInputs in = new StepInputs(sm.create(x0, ls), sm.create(ids, new Shape(1, 77)),
						sm.create(noiseRng.gaussians(per), ls), new long[] {noiseRng.nextInt(total)}, null, null);
					last[0] = step.accumulate(in, ctx, 1.0);
				}
				TrainingStep.Update u;
				try (NDScope scope = new NDScope()) {
					u = step.apply(adam, o.learningRate(), o.maxGradNorm());
				}
				// a step that did not reach the trainables would measure nothing
				if (!Double.isFinite(last[0]) || !u.applied() || !(u.gradNorm() > 0)) throw new IllegalStateException(
					"the training step gave loss " + last[0] + ", gradient norm " + u.gradNorm() + ", applied " + u.applied());
				last[1] = u.gradNorm();
			});
			c.note(String.format(Locale.ROOT, "last loss %.4g, gradient norm %.3g", last[0], last[1]));
			adam.close();
			return BenchCase.Outcome.of(s);
		}
	}

	/**
	 * {@code steps} steps of {@link Trainer} with {@code method} on the context's model (the benchmark: the tiny
	 * model, {@value #LOOP_STEPS} steps, baseline {@value #LOOP_BASELINE}); seconds per step after the first
	 * {@code baseline}, and RSS after step {@code baseline} and after the last step.
	 */
	static BenchCase.Outcome loop(BenchContext c, TrainConfig.Method method, int steps, int baseline) throws Exception {
		Path dir = c.tmp().resolve("loop-" + method.configName());
		Path data = captionFolder(dir.resolve("data"), 4);
		Map<String, String> keys = new LinkedHashMap<>();
		keys.put("model", c.modelPath().toString());
		keys.put("dataset", data.toString());
		keys.put("steps", Integer.toString(steps));
		keys.put("seed", "5");
		keys.put("validation.prompts", "[]");
		keys.put("checkpoints.every_steps", "0");
		if (method == TrainConfig.Method.LORA) {
			keys.put("lora.rank", "4");
			keys.put("lora.alpha", "4");
			keys.put("captions.trigger", "<my-cell>");
			keys.put("captions.replace_word", "cell");
		}
		TrainConfig config = TrainConfig.defaults(method).with(keys);
		List<Double> seconds = new ArrayList<>();
		long[] rss = new long[3]; // after the baseline step, the most seen after it, after the last step
		TrainingListener listener = new TrainingListener() {
			long t0 = System.nanoTime();
			double cpu0 = ProcessMemory.cpuSeconds();

			@Override
			public void step(StepReport r) {
				long now = System.nanoTime();
				double cpu = ProcessMemory.cpuSeconds();
				if (r.step() > baseline) {
					seconds.add((now - t0) / 1e9);
					c.addCpuSeconds(cpu - cpu0);
				}
				t0 = now;
				cpu0 = cpu;
				long m = ProcessMemory.rss();
				if (r.step() == baseline) {
					rss[0] = m;
					c.markSetup();
				}
				if (r.step() >= baseline) rss[1] = Math.max(rss[1], m);
				if (r.step() == steps) rss[2] = m;
			}
		};
		TrainingResult result;
		try (Trainer t = Trainer.open(config, dir.resolve("run"), false, c.device(), listener)) {
			result = t.run();
		}
		if (result.status() != TrainingResult.Status.FINISHED || rss[2] == 0) throw new IllegalStateException(
			"the training loop did not finish: " + result.status() + " " + result.error());
		double growth = 100.0 * (rss[2] - rss[0]) / rss[0];
		double maxGrowth = 100.0 * (rss[1] - rss[0]) / rss[0];
		c.metric("rssAfterStep" + baseline + "Bytes", rss[0]);
		c.metric("rssAfterStep" + steps + "Bytes", rss[2]);
		c.metric("rssMaxAfterStep" + baseline + "Bytes", rss[1]);
		c.metric("rssGrowthPercent", growth);
		c.note(String.format(Locale.ROOT, "RSS after step %d %.3f GB, after step %d %.3f GB: %+.1f%% (most %+.1f%%; "
			+ "target < 5%%: %s); Java heap %s pre-touched; s = seconds per step after step %d", baseline, rss[0] / 1e9, steps,
			rss[2] / 1e9, growth, maxGrowth, growth < 5 ? "met" : "MISSED", LOOP_HEAP, baseline));
		return BenchCase.Outcome.of(seconds);
	}

	/** {@code n} textured 32 x 32 RGB images with captions that mention "cell", as a caption folder. */
	static Path captionFolder(Path dir, int n) throws IOException {
		Files.createDirectories(dir);
		for (int i = 0; i < n; i++) {
			int side = 32;
			BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
			java.util.Random r = new java.util.Random(i);
			double fx = 1 + r.nextInt(4), fy = 1 + r.nextInt(4), phase = r.nextDouble() * 6;
			for (int y = 0; y < side; y++)
				for (int x = 0; x < side; x++) {
					double v = 0.5 + 0.4 * Math.sin(fx * 2 * Math.PI * x / side + phase) * Math.cos(fy * 2 * Math.PI * y / side);
					int g = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
					img.setRGB(x, y, (g / 4 << 16) | (g << 8) | (g / 3));
				}
			String name = String.format(Locale.ROOT, "img%02d", i);
			AtomicFiles.writeStream(dir.resolve(name + ".png"), out -> ImageIO.write(img, "png", out));
			AtomicFiles.writeString(dir.resolve(name + ".txt"), "a fluorescent micrograph of a cell, green stain, sample " + i);
		}
		return dir;
	}
}
