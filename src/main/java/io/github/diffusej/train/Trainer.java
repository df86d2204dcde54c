package io.github.diffusej.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.export.BaseModelVersion;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFamily;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.train.optim.AdamW;
import io.github.diffusej.train.optim.Ema;
import io.github.diffusej.train.optim.LrSchedule;
import io.github.diffusej.train.optim.Optimizer;
import io.github.diffusej.train.optim.Prodigy;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * The one training loop of DiffuseJ, for every method ({@link TrainingMethod}): data and buckets
 * ({@link TrainingData}), micro-batches with gradient accumulation ({@link TrainingStep}), the optimizer and its
 * learning-rate schedule, gradient clipping, EMA, validation images and losses, checkpoints with exact resume,
 * progress, cancel and the guard against non-finite losses. Faces (Fiji command, CLI, macros) only build a
 * {@link TrainConfig}, call {@link #open} and {@link #run}, and present what the {@link TrainingListener} reports.
 *
 * <p>Memory stays flat by construction: every micro-batch, update and validation runs inside an {@link NDScope}
 * that closes whatever was created in it, whatever its manager; what must outlive a step (optimizer state, EMA,
 * caches) is taken out where it is made.
 */
public final class Trainer implements AutoCloseable {

	private final TrainConfig config;
	private final RunFolder folder;
	private final TrainingListener listener;
	private final StableDiffusionModel model;
	private final TrainingMethod method;
	private final Trainables trainables;
	private final Optimizer optimizer;
	private final Ema ema;
	private final LrSchedule schedule;
	private final TrainingData data;
	private final TrainingStep step;
	private final ValidationImages validation;
	private final int totalSteps;
	private final String architecture;
	private int done;
	private long microBatches;
	private double bestLoss = Double.NaN;
	private int bestStep = -1;
	private double smoothed = Double.NaN;
	private double lastLoss = Double.NaN;
	private int lastCheckpoint = -1;
	private final int startStep;
	private final LossCurve curve;
	/**
	 * Test seam (package-private, identity by default): wraps the writer of each checkpoint folder, so that a test
	 * without a small disk to fill can make a checkpoint fail midway as a full disk does.
	 */
	java.util.function.UnaryOperator<RunFolder.FolderWriter> checkpointWriter = w -> w;

	private Trainer(TrainConfig config, RunFolder folder, TrainingListener listener, StableDiffusionModel model,
		TrainingMethod method, Trainables trainables, Dataset dataset, Dataset regularization, boolean resume)
		throws IOException
	{
		this.config = config;
		this.folder = folder;
		this.listener = listener;
		this.model = model;
		this.method = method;
		model.unet().setGradientCheckpointing(config.gradientCheckpointing());
		this.trainables = trainables;
		PredictionType prediction = config.loss().predictionType() != null
			? PredictionType.of(config.loss().predictionType()) : model.files().predictionType();
		// the family decides v1/v2 (tiny test models of SD2 architecture are not 1024 wide)
		architecture = (model.files().family() == ModelFamily.SD1 ? BaseModelVersion.SD_V1
			: prediction == PredictionType.V_PREDICTION ? BaseModelVersion.SD_V2_768_V : BaseModelVersion.SD_V2_512).modelSpec;
		method.attach(model, config, trainables, io.github.diffusej.Rng.stream(config.seed(), "init"));
		data = new TrainingData(model, config, dataset, regularization, folder.dir(), method.trigger(), listener::message);
		long perRun = config.steps() > 0 ? -1 : data.microBatches(config.epochs());
		totalSteps = config.steps() > 0 ? config.steps()
			: (int) Math.max(1, (perRun + config.gradientAccumulationSteps() - 1) / config.gradientAccumulationSteps());
		TrainConfig.Optimizer o = config.optimizer();
		NDManager state = trainables.manager();
		optimizer = switch (o.type()) {
			case "prodigy" -> new Prodigy(state, o.beta1(), o.beta2(), o.epsilon(), o.weightDecay(), true,
				o.prodigyBiasCorrection(), o.prodigySafeguardWarmup(), o.prodigyD0(), o.prodigyDCoef(), o.prodigyGrowthRate());
			default -> new AdamW(state, o.beta1(), o.beta2(), o.epsilon(), o.weightDecay());
		};
		ema = config.ema().enabled() ? new Ema(state, config.ema().decay()) : null;
		TrainConfig.Schedule s = config.schedule();
		schedule = new LrSchedule(s.type(), s.warmupSteps(), totalSteps, s.cycles(), s.power(),
			Math.min(1, 1e-7 / o.learningRate()));
		NoiseSchedule noise = NoiseSchedule.of(model.schedulerConfig());
		step = new TrainingStep(model, method, trainables, new DiffusionLoss(noise, prediction, config.loss().minSnrGamma()),
			config.clipSkip(), groupScales(config), null);
		List<String> prompts = new ArrayList<>();
		String trigger = method.trigger() == null ? "" : method.trigger();
		for (String p : config.validation().prompts())
			prompts.add(p.replace(TrainConfig.Validation.CAPTION, data.exampleCaption()).replace("{token}", trigger));
		int vw = config.validation().width() > 0 ? config.validation().width() : data.resolution();
		int vh = config.validation().height() > 0 ? config.validation().height() : data.resolution();
		validation = new ValidationImages(model, prompts, config.validation(), vw, vh, config.clipSkip());
		if (resume) restore();
		// on resume too: options given then (more steps, say) are part of the run from now on, and the file must say so
		config.write(folder.config());
		startStep = done;
		curve = new LossCurve(method.label() + ": loss");
		curve.setTotalSteps(totalSteps);
		if (resume) for (LossLog.Row row : LossLog.read(folder.lossCsv())) {
			if (row.step() > done) continue;
			if (!Double.isNaN(row.loss())) curve.add(row.step(), row.loss(), row.smoothed());
			if (!Double.isNaN(row.validationLoss())) curve.addValidation(row.step(), row.validationLoss());
		}
	}

	private static Map<String, Double> groupScales(TrainConfig c) {
		Map<String, Double> m = new LinkedHashMap<>();
		double base = c.optimizer().learningRate();
		if (c.optimizer().textEncoderLearningRate() != null)
			m.put("text_encoder", c.optimizer().textEncoderLearningRate() / base);
		if (c.method() == TrainConfig.Method.LORA && c.lora().tokenLearningRate() != null)
			m.put("token", c.lora().tokenLearningRate() / base);
		return m;
	}

	/**
	 * Prepares a run: checks the run folder and the dataset before the model loads, loads the model (float16
	 * weights with {@code mixed_precision: fp16}), attaches the method and, with {@code resume}, restores the
	 * newest checkpoint of {@code runDir}.
	 */
	public static Trainer open(TrainConfig config, Path runDir, boolean resume, Device device, TrainingListener listener)
		throws IOException
	{
		RunFolder folder = RunFolder.open(runDir, resume);
		if (config.model() == null) throw new TrainingException("no base model given (model)");
		if (config.dataset() == null) throw new TrainingException("no dataset given (dataset)");
		Path modelPath = Path.of(config.model());
		if (!Files.exists(modelPath)) throw new TrainingException(modelPath + ": no such model file or folder");
		Dataset dataset = DatasetReader.read(Path.of(config.dataset()));
		Dataset reg = config.data().regularizationDataset() == null ? null
			: DatasetReader.read(Path.of(config.data().regularizationDataset()));
		if (config.method() == TrainConfig.Method.TEXTUAL_INVERSION && config.textualInversion().initializerFile() != null
			&& !Files.isRegularFile(Path.of(config.textualInversion().initializerFile())))
			throw new TrainingException(config.textualInversion().initializerFile() + ": no such embedding file");
		// the base LoRA files are read and checked against nothing yet: existence and weights before the model loads
		List<GenerationRequest.LoraRef> baseLoras;
		try {
			baseLoras = RequestStrings.loras(String.join(";", config.baseLoras()));
		}
		catch (IllegalArgumentException e) {
			throw new TrainingException("base_loras: " + e.getMessage());
		}
		Engines.prepareThread();
		DataType dtype = config.mixedPrecision().equals("fp16") ? DataType.FLOAT16 : DataType.FLOAT32;
		if (dtype == DataType.FLOAT16 && !device.isGpu()) listener.message("note: mixed_precision fp16 on the CPU is "
			+ "much slower than float32 there; it is meant for GPUs");
		// loss.prediction_type overrides the model's scheduler config as a whole, so that validation images are
		// sampled with the type the run trains
		LoadOptions options = LoadOptions.defaults().withTokenizerDir(config.tokenizer() == null ? null
			: Path.of(config.tokenizer())).withPredictionType(config.loss().predictionType() == null ? null
				: PredictionType.of(config.loss().predictionType()));
		StableDiffusionModel model = StableDiffusionModel.load(modelPath, options, device, dtype,
			msg -> listener.message("note: " + msg));
		TrainingMethod method = null;
		Trainables trainables = null;
		try {
			if (!baseLoras.isEmpty()) { // frozen, and before the method's own adapters (which train on top of them)
				int layers = LoraWeights.apply(model, baseLoras);
				listener.message("base LoRA " + baseLoras.stream().map(r -> r.file().getFileName() + ":" + r.weight())
					.toList() + " on " + layers + " layers, frozen");
			}
			method = switch (config.method()) {
				case TEXTUAL_INVERSION -> new TextualInversion();
				case LORA -> new LoraTraining();
			};
			trainables = new Trainables(model.manager().newSubManager());
			return new Trainer(config, folder, listener, model, method, trainables, dataset, reg, resume);
		}
		catch (IOException | RuntimeException e) {
			if (method != null) method.close();
			if (trainables != null) trainables.close();
			model.close();
			throw e;
		}
	}

	public TrainConfig config() {
		return config;
	}

	public StableDiffusionModel model() {
		return model;
	}

	public Trainables trainables() {
		return trainables;
	}

	public TrainingMethod method() {
		return method;
	}

	public RunFolder folder() {
		return folder;
	}

	/** Optimizer steps done. */
	public int stepsDone() {
		return done;
	}

	public int totalSteps() {
		return totalSteps;
	}

	private void restore() throws IOException {
		List<Path> cps = folder.checkpointList();
		if (cps.isEmpty()) throw new TrainingException(folder.checkpoints() + ": no checkpoint to resume from (the run "
			+ "stopped before its first checkpoint); start it again");
		Path last = cps.get(cps.size() - 1);
		Checkpoint.Loaded l = Checkpoint.read(last);
		Checkpoint.State st = l.state();
		if (!config.method().configName().equals(st.method())) throw new TrainingException(last + ": the checkpoint is of a "
			+ st.method() + " run, the config says " + config.method().configName());
		trainables.load(l.trainables(), l.shapes(), last.toString());
		try (NDManager s = trainables.manager().newSubManager()) {
			optimizer.restore(Checkpoint.arrays(l.optimizer(), l.optimizerShapes(), s), st.optimizer());
			if (ema != null && st.emaUpdates() > 0) {
				if (l.ema().isEmpty()) throw new TrainingException(last + ": the run uses EMA but the checkpoint has none");
				ema.restore(Checkpoint.arrays(l.ema(), l.shapes(), s), st.emaUpdates());
			}
		}
		catch (IllegalArgumentException e) {
			throw new TrainingException(last + ": " + e.getMessage());
		}
		if (step.scaler() != null && st.lossScale() > 0) {
			step.scaler().restore(st.lossScale(), st.scalerGoodSteps());
		}
		done = st.step();
		microBatches = st.microBatches();
		bestLoss = st.bestValidationLoss();
		bestStep = st.bestStep();
		smoothed = st.smoothedLoss();
		lastCheckpoint = done;
		method.unbind();
		listener.message("resuming " + folder.dir() + " at step " + done + " from " + last.getFileName());
	}

	/**
	 * Runs to the last step (or until the user finishes or cancels, or an error stops it) and reports the end to
	 * the listener. Failures of the run itself (non-finite loss, full disk, a bad image) end it with
	 * {@link TrainingResult.Status#FAILED} and a message; earlier checkpoints stay intact.
	 */
	public TrainingResult run() {
		TrainingResult result;
		try (LossLog log = LossLog.open(folder.lossCsv(), startStep > 0 ? startStep : -1)) {
			result = loop(log);
		}
		catch (CancellationException | java.nio.channels.ClosedByInterruptException e) {
			// cancelled in the middle of validation images, or interrupted (Ctrl-C, SIGTERM) during a write: the
			// state is that of the last finished step, so the cancel checkpoint is written all the same
			result = cancelNow();
		}
		catch (TrainingException | IOException e) {
			result = failed(message(e));
		}
		writeCurve();
		listener.finished(result);
		return result;
	}

	private static String message(Exception e) {
		if (e instanceof FileSystemException f) return f.getFile() + ": " + RunFolder.reason(f)
			+ (f.getOtherFile() != null ? " (" + f.getOtherFile() + ")" : "");
		return e.getMessage();
	}

	private TrainingResult failed(String why) {
		String where = lastCheckpoint >= 0 ? "; the last good checkpoint is " + folder.checkpoint(lastCheckpoint)
			+ " (resume from it)" : "";
		return new TrainingResult(TrainingResult.Status.FAILED, folder.dir(), done, List.of(), bestFile(), bestLoss,
			lastLoss, why + where);
	}

	private Path bestFile() {
		Path b = folder.best().resolve(config.resultName() + ".safetensors");
		return Files.isRegularFile(b) ? b : null;
	}

	private TrainingResult loop(LossLog log) throws IOException {
		listener.started(new TrainingListener.RunInfo(method.label(), folder.dir(), startStep, totalSteps,
			validation.prompts(), config.validation().everySteps()));
		listener.message(String.format(Locale.ROOT, "%s of %s: %d trainable values, %d steps of %d x %d images at %d px, "
			+ "%s, lr %.3g (%s)", method.label(), model.source().getFileName(), trainables.elementCount(), totalSteps,
			config.gradientAccumulationSteps(), config.batchSize(), data.resolution(), config.optimizer().type(),
			config.optimizer().learningRate(), config.schedule().type()));
		if (startStep == 0) validate(0, log, false);
		double secondsPerStep = Double.NaN;
		while (done < totalSteps) {
			TrainingListener.Request r = Thread.currentThread().isInterrupted() ? TrainingListener.Request.CANCEL
				: listener.poll();
			if (r == TrainingListener.Request.CANCEL) return cancelNow();
			if (r == TrainingListener.Request.FINISH) break;
			if (r == TrainingListener.Request.SAVE_NOW) checkpoint(done);
			long t0 = System.nanoTime();
			double loss = 0;
			int accumulation = config.gradientAccumulationSteps();
			int epoch = 0;
			for (int k = 0; k < accumulation; k++) {
				try (NDScope scope = new NDScope(); NDManager s = model.manager().newSubManager()) {
					TrainingData.Inputs in = data.inputs(microBatches, s, step, method);
					epoch = in.position().epoch();
					double l = step.accumulate(in.step(), in.context(), 1.0 / accumulation);
					if (!Double.isFinite(l)) {
						trainables.clearGradients();
						return failed(nonFinite("loss", l, in.captions()));
					}
					loss += l / accumulation;
					microBatches++;
				}
			}
			double lr = config.optimizer().learningRate() * schedule.factor(done);
			TrainingStep.Update u;
			try (NDScope scope = new NDScope()) {
				u = step.apply(optimizer, lr, config.optimizer().maxGradNorm());
			}
			if (!u.finite()) return failed(nonFinite("gradient norm", u.gradNorm(), List.of()));
			if (!u.applied()) listener.message(String.format(Locale.ROOT, "step %d: float16 gradients overflowed; step "
				+ "skipped, loss scale lowered to %.0f", done + 1, step.scaler().scale()));
			if (u.applied() && ema != null) {
				try (NDScope scope = new NDScope()) {
					ema.update(trainables.values());
				}
			}
			done++;
			lastLoss = loss;
			smoothed = Double.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
			double seconds = (System.nanoTime() - t0) / 1e9;
			secondsPerStep = Double.isNaN(secondsPerStep) || done <= startStep + 2 ? seconds
				: 0.9 * secondsPerStep + 0.1 * seconds;
			log.step(done, epoch, loss, smoothed, lr, u.gradNorm(), seconds);
			curve.add(done, loss, smoothed);
			listener.step(new TrainingListener.StepReport(done, totalSteps, epoch, loss, smoothed, lr, u.gradNorm(),
				secondsPerStep, secondsPerStep * (totalSteps - done)));
			if (done < totalSteps) validate(done, log, false);
			int every = config.checkpoints().everySteps();
			if (every > 0 && done % every == 0 && done < totalSteps) checkpoint(done);
		}
		return finish(log);
	}

	private String nonFinite(String what, double value, List<String> captions) {
		StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "the %s became %s at step %d", what,
			Double.isNaN(value) ? "NaN" : "infinite", done + 1));
		if (!captions.isEmpty()) sb.append(" (captions: ").append(String.join(" | ", captions)).append(')');
		sb.append(". Likely causes: a learning rate too high for this model (").append(config.optimizer().learningRate())
			.append("; try 10x lower)");
		if (model.dtype() != DataType.FLOAT32) sb.append(", float16 overflow (try mixed_precision: no)");
		sb.append(", or non-finite values in the base model's weights or in a LoRA/embedding it uses. Nothing after step ")
			.append(Math.max(lastCheckpoint, 0)).append(" was saved");
		return sb.toString();
	}

	private boolean validationDue(int s) {
		int every = config.validation().everySteps();
		return s == 0 || s == totalSteps || every > 0 && s % every == 0;
	}

	private boolean lossDue(int s) {
		int every = config.validation().lossEverySteps() > 0 ? config.validation().lossEverySteps()
			: config.validation().everySteps();
		return s == 0 || s == totalSteps || every > 0 && s % every == 0;
	}

	/**
	 * Validation images and loss at step {@code s} when due (or {@code force}d at the end), with the EMA weights
	 * when EMA is on.
	 */
	private void validate(int s, LossLog log, boolean force) throws IOException {
		boolean images = (force || validationDue(s)) && validation.count() > 0;
		boolean loss = (force || lossDue(s)) && data.hasValidationSplit();
		if (!images && !loss) return;
		try (NDScope scope = new NDScope(); NDManager m = model.manager().newSubManager(); GradMode ng = GradMode.noGrad()) {
			if (ema != null && ema.updates() > 0) method.bind(inModelDtype(ema.values(), m));
			try {
				if (loss) {
					double sum = 0;
					for (int k = 0; k < data.validationCount(); k++) {
						try (NDManager item = m.newSubManager()) {
							TrainingData.Inputs in = data.validationInputs(k, item, step, method);
							sum += step.evaluate(in.step(), in.context());
						}
					}
					double v = sum / data.validationCount();
					boolean best = Double.isFinite(v) && (Double.isNaN(bestLoss) || v < bestLoss);
					log.validation(s, v);
					curve.addValidation(s, v);
					if (best) {
						bestLoss = v;
						bestStep = s;
						exportTo(folder.best());
						io.github.diffusej.io.AtomicFiles.writeString(folder.best().resolve("best.json"), String.format(
							Locale.ROOT, "{\"step\": %d, \"validation_loss\": %.8g}%n", s, v));
					}
					listener.validationLoss(s, v, best);
				}
				if (images) validation.render(s, folder.validation(s), listener,
					() -> Thread.currentThread().isInterrupted() || listener.poll() == TrainingListener.Request.CANCEL);
			}
			finally {
				if (ema != null && ema.updates() > 0) method.unbind();
			}
		}
	}

	private Map<String, NDArray> inModelDtype(Map<String, NDArray> values, NDManager m) {
		Map<String, NDArray> out = new LinkedHashMap<>();
		values.forEach((k, v) -> {
			NDArray c = v.getDataType() == model.dtype() ? v.duplicate() : v.toType(model.dtype(), true);
			c.attach(m);
			out.put(k, c);
		});
		return out;
	}

	/** The values exported for other tools: the EMA average when EMA is on, else the trained tensors. */
	private Map<String, NDArray> exportValues() {
		return ema != null && ema.updates() > 0 ? ema.values() : trainables.values();
	}

	private List<Path> exportTo(Path dir) throws IOException {
		List<Path> files = new ArrayList<>();
		RunFolder.writeFolder(dir, tmp -> files.addAll(method.export(tmp, config.resultName(), exportValues(), metadata())));
		List<Path> moved = new ArrayList<>();
		for (Path f : files) moved.add(dir.resolve(f.getFileName()));
		return moved;
	}

	/** ModelSpec and training metadata written into every exported file. */
	Map<String, String> metadata() {
		Map<String, String> m = new LinkedHashMap<>();
		String kind = config.method() == TrainConfig.Method.TEXTUAL_INVERSION ? "textual-inversion" : "lora";
		m.put("modelspec.architecture", architecture + "/" + kind);
		m.put("modelspec.resolution", data.resolution() + "x" + data.resolution());
		m.put("modelspec.date", Instant.now().toString().substring(0, 10));
		m.put("modelspec.prediction_type", step.loss().prediction().configName());
		m.put("modelspec.description", method.label() + " trained by DiffuseJ on " + model.source().getFileName()
			+ " for " + done + " steps");
		if (method.trigger() != null) m.put("modelspec.trigger_phrase", method.trigger());
		m.put("diffusej.base_model", model.source().toAbsolutePath().toString());
		m.put("diffusej.steps", Integer.toString(done));
		m.put("diffusej.seed", Long.toString(config.seed()));
		m.put("diffusej.config", config.toJson().toString());
		return m;
	}

	/** Writes a resumable checkpoint at {@code s} (with the method's files), then prunes old ones. */
	private void checkpoint(int s) throws IOException {
		if (s == lastCheckpoint) return;
		Path target = folder.checkpoint(s);
		Map<String, NDArray> opt = optimizer.stateTensors();
		Map<String, NDArray> emaValues = ema == null ? Map.of() : ema.values();
		long need = 2 * Checkpoint.tensorBytes(trainables.values(), opt, emaValues) + (1 << 20);
		long free = Files.getFileStore(folder.dir()).getUsableSpace();
		if (free < need) throw new TrainingException(String.format(Locale.ROOT, "%s: not enough disk space for the "
			+ "checkpoint of step %d (%.1f MB needed, %.1f MB free); earlier checkpoints are intact", folder.dir(), s,
			need / 1e6, free / 1e6));
		Checkpoint.State st = new Checkpoint.State(Checkpoint.FORMAT_VERSION, config.method().configName(), s, microBatches,
			Map.of(), optimizer.stateScalars(), ema == null ? 0 : ema.updates(), step.scaler() == null ? 0
				: step.scaler().scale(), step.scaler() == null ? 0 : step.scaler().goodSteps(), bestLoss, bestStep, smoothed);
		try (NDScope scope = new NDScope()) {
			RunFolder.writeFolder(target, checkpointWriter.apply(dir -> {
				Checkpoint.write(dir, st, trainables.values(), opt, emaValues);
				method.export(dir, config.resultName(), exportValues(), metadata());
			}));
		}
		catch (IOException e) {
			throw new TrainingException("cannot write the checkpoint of step " + s + ": " + message(e)
				+ "; earlier checkpoints are intact", e);
		}
		lastCheckpoint = s;
		writeCurve();
		folder.prune(config.checkpoints().keep());
		listener.checkpointSaved(s, target);
	}

	/** {@code loss.png}; a failure to draw it never stops a run (the numbers are in loss.csv). */
	private void writeCurve() {
		try {
			curve.writePng(folder.lossPng());
		}
		catch (IOException | RuntimeException e) {
			listener.message("note: could not write " + folder.lossPng() + ": " + e.getMessage());
		}
	}

	/**
	 * Cancels with a checkpoint of the last finished step. An interrupt (how Ctrl-C and a cluster's SIGTERM reach
	 * the run) is cleared first: with the flag set, every file channel would close at once and the checkpoint could
	 * not be written.
	 */
	private TrainingResult cancelNow() {
		Thread.interrupted();
		try {
			return cancel();
		}
		catch (IOException | RuntimeException e) {
			return failed("cancelled at step " + done + ", but its checkpoint could not be written: " + message(e));
		}
	}

	private TrainingResult cancel() throws IOException {
		checkpoint(done);
		listener.message("cancelled at step " + done + "; resume with the checkpoint " + folder.checkpoint(done));
		return new TrainingResult(TrainingResult.Status.CANCELLED, folder.dir(), done, List.of(), bestFile(), bestLoss,
			lastLoss, null);
	}

	private TrainingResult finish(LossLog log) throws IOException {
		if (done > startStep || done == 0) validate(done, log, true);
		checkpoint(done);
		List<Path> outputs = new ArrayList<>();
		try (NDScope scope = new NDScope()) {
			outputs.addAll(method.export(folder.dir(), config.resultName(), exportValues(), metadata()));
		}
		listener.message(data.cacheReport());
		return new TrainingResult(TrainingResult.Status.FINISHED, folder.dir(), done, outputs, bestFile(), bestLoss,
			lastLoss, null);
	}

	@Override
	public void close() {
		data.close();
		if (ema != null) ema.close();
		optimizer.close();
		method.close();
		trainables.close();
		model.close();
	}
}
