package io.github.diffusej.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.TrainingForward;
import io.github.diffusej.train.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One training step of the shared loop, the same code for every method and for the reference tests: the noisy
 * latents {@code sqrt(abar_t) x0 + sqrt(1 - abar_t) eps}, the method's text conditioning, the UNet's prediction,
 * the {@link DiffusionLoss} against the target of the model's prediction type, and backward into the
 * trainables' gradient sums ({@link #accumulate}); then, once per optimizer step, the global gradient norm,
 * clipping, the update and the clearing of the sums ({@link #apply}).
 *
 * <p>With a float16 model (mixed precision) the method computes with float16 working copies of the float32
 * masters, the loss is scaled ({@link LossScaler}) so that small gradients survive float16, and a step whose
 * gradients overflow is skipped with a smaller scale, as {@code torch.cuda.amp.GradScaler} does.
 */
public final class TrainingStep {

	private final StableDiffusionModel model;
	private final TrainingMethod method;
	private final Trainables trainables;
	private final DiffusionLoss loss;
	private final int clipSkip;
	private final LossScaler scaler;
	private final Map<String, Double> groupLrScale;

	/**
	 * @param groupLrScale learning rate of each trainable group divided by the base rate (absent groups: 1)
	 * @param scaler the loss scaler for a float16 model, or null for float32
	 */
	public TrainingStep(StableDiffusionModel model, TrainingMethod method, Trainables trainables, DiffusionLoss loss,
		int clipSkip, Map<String, Double> groupLrScale, LossScaler scaler)
	{
		this.model = model;
		this.method = method;
		this.trainables = trainables;
		this.loss = loss;
		this.clipSkip = clipSkip;
		this.groupLrScale = Map.copyOf(groupLrScale);
		this.scaler = model.dtype() == DataType.FLOAT32 ? null : scaler == null ? new LossScaler() : scaler;
	}

	public DiffusionLoss loss() {
		return loss;
	}

	/** The loss scaler (null for a float32 model). */
	public LossScaler scaler() {
		return scaler;
	}

	/**
	 * Forward and backward of one micro-batch: adds {@code weight x} its gradients to the trainables' sums and
	 * returns its (unweighted) loss. {@code context}, when not null, is the precomputed text conditioning of a
	 * frozen text encoder ([B, T, D]); otherwise the method encodes {@code in.ids()} under autograd.
	 */
	public double accumulate(StepInputs in, NDArray context, double weight) {
		NDManager scope = in.latents().getManager();
		DataType compute = model.dtype();
		Map<String, NDArray> leaves = trainables.values();
		if (compute != DataType.FLOAT32) {
			leaves = trainables.workingCopies(compute, scope);
			method.bind(leaves);
		}
		NDArray t = scope.create(in.timesteps());
		NDArray lossValue;
		try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
			NDArray x0 = cast(in.latents(), compute);
			NDArray noise = cast(in.noise(), compute);
			NDArray noisy = loss.schedule().addNoise(x0, noise, t);
			NDArray target = loss.target(x0, noise, t);
			NDArray ctx = context != null ? cast(context, compute) : method.encode(in.ids(), clipSkip, scope);
			// With gradient checkpointing on (UNet2DConditionModel#setGradientCheckpointing) the blocks run without a
			// graph here and are recomputed one at a time in backward; the gradients are the same either way.
			TrainingForward f = model.unet().forwardForTraining(noisy, t, ctx);
			lossValue = loss.compute(f.output(), target, in.mask() == null ? null : cast(in.mask(), compute),
				in.timesteps(), in.weights());
			double seed = weight * (scaler == null ? 1 : scaler.scale());
			NDArray grad = scope.full(lossValue.getShape(), (float) seed, lossValue.getDataType(), lossValue.getDevice());
			f.backward(lossValue, grad);
		}
		trainables.accumulate(leaves, scaler == null ? 1 : 1 / scaler.scale());
		if (compute != DataType.FLOAT32) method.unbind(); // the working copies die with the scope
		return lossValue.toType(DataType.FLOAT64, false).getDouble();
	}

	private static NDArray cast(NDArray a, DataType dt) {
		if (a.getDataType() == dt) return a;
		NDArray c = a.toType(dt, false);
		c.attach(a.getManager());
		return c;
	}

	/**
	 * The loss of a micro-batch without recording a graph (validation loss): the same computation as
	 * {@link #accumulate}, with the trainables as they are bound now.
	 */
	public double evaluate(StepInputs in, NDArray context) {
		NDManager scope = in.latents().getManager();
		DataType compute = model.dtype();
		try (GradMode ng = GradMode.noGrad()) {
			NDArray t = scope.create(in.timesteps());
			NDArray x0 = cast(in.latents(), compute);
			NDArray noise = cast(in.noise(), compute);
			NDArray noisy = loss.schedule().addNoise(x0, noise, t);
			NDArray target = loss.target(x0, noise, t);
			NDArray ctx = context != null ? cast(context, compute) : method.encode(in.ids(), clipSkip, scope);
			NDArray pred = model.unet().forward(noisy, t, ctx);
			NDArray l = loss.compute(pred, target, in.mask() == null ? null : cast(in.mask(), compute), in.timesteps(),
				in.weights());
			return l.toType(DataType.FLOAT64, false).getDouble();
		}
	}

	/**
	 * The text conditioning of a frozen text encoder for {@code ids} (no graph), for methods that do not train
	 * it; callers may cache it per caption.
	 */
	public NDArray frozenContext(NDArray ids) {
		try (GradMode ng = GradMode.noGrad()) {
			return method.encode(ids, clipSkip, ids.getManager());
		}
	}

	/** The outcome of {@link #apply}. */
	public record Update(double gradNorm, boolean applied, boolean finite) {}

	/**
	 * The optimizer update from the summed gradients: global norm (before clipping), clipping to
	 * {@code maxGradNorm} (0 = none), the update with base rate {@code lr}, and the sums cleared. With a float16
	 * model a non-finite gradient skips the update and lowers the loss scale; with float32 it is reported
	 * ({@code finite == false}) and nothing is changed.
	 */
	public Update apply(Optimizer optimizer, double lr, double maxGradNorm) {
		double norm = trainables.gradNorm();
		boolean finite = Double.isFinite(norm);
		if (!finite) {
			trainables.clearGradients();
			if (scaler != null) {
				scaler.update(false);
				return new Update(norm, false, true);
			}
			return new Update(norm, false, false);
		}
		if (maxGradNorm > 0 && norm > maxGradNorm) trainables.scaleGradients(maxGradNorm / (norm + 1e-6));
		List<Optimizer.Param> params = new ArrayList<>();
		for (Trainables.Entry e : trainables.entries().values()) {
			NDArray g = trainables.gradients().get(e.name());
			if (g == null) g = e.value().zerosLike();
			params.add(new Optimizer.Param(e.name(), e.value(), g, groupLrScale.getOrDefault(e.group(), 1.0)));
		}
		optimizer.step(params, lr);
		trainables.clearGradients();
		if (scaler != null) scaler.update(true);
		return new Update(norm, true, true);
	}

	/** Shapes [B, C, h, w] of the latents of an image batch of {@code width x height} pixels. */
	public Shape latentShape(int batch, int width, int height) {
		int f = model.vaeScale();
		return new Shape(batch, model.latentChannels(), height / f, width / f);
	}
}
