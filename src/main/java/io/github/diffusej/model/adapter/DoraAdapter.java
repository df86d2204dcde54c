package io.github.diffusej.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Param;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DoRA (Liu et al. 2024, "DoRA: Weight-Decomposed Low-Rank Adaptation"), the one implementation used for training
 * and for files. For the effective weight so far {@code W} (see {@link AdaptableLayer}):
 *
 * <pre>
 *   V     = W + (alpha/r)·up@down                    (conv: up [out, r, 1, 1] composed with down [r, in, k, k])
 *   D(W)  = V · (m / ||V||)                           (the ratio is computed first, then applied)
 * </pre>
 * with the norm along one of two axes, read from the magnitude's shape as ComfyUI does:
 * <ul>
 * <li>{@link Axis#INPUT}: kohya/LyCORIS/OneTrainer {@code dora_scale} [1, in] or [1, in, 1, 1]: the norm of each
 * input channel over all outputs AND kernel positions (LyCORIS {@code wd_on_output=False}, OneTrainer's default,
 * ComfyUI's {@code weight_decompose}); this is what DiffuseJ trains and writes by default;</li>
 * <li>{@link Axis#OUTPUT}: PEFT's {@code lora_magnitude_vector} [out] and LyCORIS {@code wd_on_output=True}
 * {@code dora_scale} [out, 1(, 1, 1)]: the norm of each output row over inputs and kernel positions.</li>
 * </ul>
 * A multiplier {@code w} blends {@code W + w·(D(W) − W)} (ComfyUI's rule; done by the layer).
 *
 * <p>Choices, and why:
 * <ul>
 * <li>The norm is detached from the graph in training (the paper §4.3, PEFT and OneTrainer do so to save memory;
 * LyCORIS does not); {@code detachNorm=false} gives the full gradient (used to check it against finite
 * differences). With the input axis and a detached norm the layer runs DoRA in factored form
 * ({@link #inputScaling}: {@code op(x ⊙ s, W) + Δ(x ⊙ s)}), so no weight-sized tensor is kept for backward.</li>
 * <li>No epsilon is added to the norm (ComfyUI, PEFT and OneTrainer's default add none; LyCORIS adds float eps,
 * about 1e-7 relative): with {@code m = ||W||} and {@code up = 0} the ratio is exactly 1, so a fresh DoRA
 * reproduces the base layer bit for bit. The norm is only clamped at the dtype's smallest normal number, which
 * changes nothing but an all-zero channel (0/0).</li>
 * </ul>
 */
public final class DoraAdapter implements LayerAdapter.Recomposing {

	/** The axis of the DoRA norm and magnitude. */
	public enum Axis {
		/** One magnitude per input channel (norm over outputs and kernel positions): kohya {@code dora_scale}. */
		INPUT,
		/** One magnitude per output channel (norm over inputs and kernel positions): PEFT. */
		OUTPUT
	}

	private final LoraAdapter lora;
	private NDArray magnitude;
	private final Axis axis;
	private final boolean detachNorm;

	private DoraAdapter(LoraAdapter lora, NDArray magnitude, Axis axis, boolean detachNorm) {
		this.lora = lora;
		this.magnitude = magnitude;
		this.axis = axis;
		this.detachNorm = detachNorm;
	}

	/**
	 * Wraps existing tensors; the axis is read from the magnitude's shape ({@link #axisOf}).
	 *
	 * @param alpha scale {@code alpha / rank}; zero or NaN means alpha = rank
	 * @param trainable whether the tensors change between forwards
	 * @param detachNorm treat {@code ||V||} as a constant in backward (training default)
	 */
	public static DoraAdapter of(AdaptableLayer layer, NDArray down, NDArray up, NDArray magnitude, double alpha,
		boolean trainable, boolean detachNorm)
	{
		LoraAdapter l = LoraAdapter.of(layer, down, up, alpha, trainable);
		return new DoraAdapter(l, magnitude, axisOf(layer.weight().shape(), magnitude.getShape()), detachNorm);
	}

	/**
	 * A fresh trainable DoRA in {@code manager}: LoRA init from {@code rng} (up = 0) and {@code m = ||W||} along
	 * {@code axis} in {@code dtype}, stored in the file layout ({@link #magnitudeShape}); the norm is detached. As
	 * for {@link LoraAdapter#create}, the tensors do not require a gradient yet.
	 */
	public static DoraAdapter create(AdaptableLayer layer, int rank, double alpha, Axis axis, Rng rng,
		NDManager manager, DataType dtype)
	{
		LoraAdapter l = LoraAdapter.create(layer, rank, alpha, rng, manager, dtype);
		return new DoraAdapter(l, initialMagnitude(layer, axis, manager, dtype), axis, true);
	}

	/** {@code ||W||} along {@code axis}, shaped {@link #magnitudeShape}, in {@code dtype}, owned by {@code manager}. */
	public static NDArray initialMagnitude(AdaptableLayer layer, Axis axis, NDManager manager, DataType dtype) {
		try (GradMode ng = GradMode.noGrad(); NDManager tmp = manager.newSubManager()) {
			NDArray w = layer.weight().array().toType(dtype, true);
			w.attach(tmp);
			NDArray m = norm(w, axis).reshape(magnitudeShape(layer.weight().shape(), axis));
			m.attach(manager);
			return m;
		}
	}

	/**
	 * The magnitude shape DiffuseJ writes: kohya/LyCORIS {@code dora_scale} [1, in] / [1, in, 1, 1] for
	 * {@link Axis#INPUT}, [out, 1] / [out, 1, 1, 1] for {@link Axis#OUTPUT}.
	 */
	public static Shape magnitudeShape(Shape weight, Axis axis) {
		long[] s = new long[weight.dimension()];
		Arrays.fill(s, 1);
		if (axis == Axis.INPUT) s[1] = weight.get(1);
		else s[0] = weight.get(0);
		return new Shape(s);
	}

	/**
	 * The axis a magnitude of shape {@code m} means for a weight of shape {@code w}: a leading 1 and one value per
	 * input channel is {@link Axis#INPUT}; one value per output channel ([out], [out, 1, ...]) is
	 * {@link Axis#OUTPUT}. Anything else is refused.
	 */
	public static Axis axisOf(Shape w, Shape m) {
		long in = w.get(1), out = w.get(0);
		boolean inputShaped = m.dimension() >= 2 && m.get(0) == 1 && m.size() == in && m.get(1) == in;
		boolean outputShaped = m.dimension() >= 1 && m.get(0) == out && m.size() == out;
		if (inputShaped) return Axis.INPUT;
		if (outputShaped) return Axis.OUTPUT;
		throw new IllegalArgumentException("DoRA magnitude " + m + " does not fit weight " + w + " (expected [1, " + in
			+ "(, 1, 1)] per input channel, or [" + out + "(, 1, ...)] per output channel)");
	}

	/** ||v|| along {@code axis}, keeping dims (broadcastable against v); belongs to v's manager. */
	static NDArray norm(NDArray v, Axis axis) {
		return v.square().sum(normAxes(v.getShape().dimension(), axis), true).sqrt();
	}

	/** Every axis but the magnitude's (1 for INPUT, 0 for OUTPUT). */
	private static int[] normAxes(int dims, Axis axis) {
		int[] axes = new int[dims - 1];
		for (int i = 0, k = 0; i < dims; i++)
			if (i != (axis == Axis.INPUT ? 1 : 0)) axes[k++] = i;
		return axes;
	}

	public LoraAdapter lora() {
		return lora;
	}

	public NDArray down() {
		return lora.down();
	}

	public NDArray up() {
		return lora.up();
	}

	public NDArray magnitude() {
		return magnitude;
	}

	public Axis axis() {
		return axis;
	}

	public double scale() {
		return lora.scale();
	}

	@Override
	public boolean trainable() {
		return lora.trainable();
	}

	/** Replaces one tensor by one of the same shape ({@code lora_down.weight}, {@code lora_up.weight}, {@code dora_scale}). */
	void use(String part, NDArray value) {
		if (!part.equals("dora_scale")) {
			lora.use(part, value);
			return;
		}
		if (!magnitude.getShape().equals(value.getShape())) throw new IllegalArgumentException("dora_scale: shape "
			+ value.getShape() + " does not replace " + magnitude.getShape());
		magnitude = value;
	}

	@Override
	public NDArray recompose(AdaptableLayer layer, NDArray w, NDArray like) {
		NDArray v = lora.deltaWeight(layer, like).add(w); // [out, in(, k, k)]
		NDArray n = norm(v, axis);
		if (detachNorm) n = n.stopGradient();
		n = n.maximum(Param.scalar(tiny(like), n));
		NDArray m = Param.scoped(Param.cast(magnitude, like).reshape(n.getShape()), like);
		return v.mul(m.div(n));
	}

	/**
	 * The factored form for {@link Axis#INPUT} with a detached norm: {@code D(w) = (w + ΔW) ⊙ m/||w + ΔW||} along
	 * the input channels, so the layer computes {@code op(x ⊙ s, w) + Δ(x ⊙ s)} and training keeps no
	 * weight-sized tensor in the graph (the reason the paper, §4.3, detaches the norm). The norm is computed
	 * without a graph and its weight-sized temporaries are freed at once.
	 */
	@Override
	public LayerAdapter.InputScaling inputScaling(AdaptableLayer layer, NDArray w, NDArray like) {
		if (axis != Axis.INPUT || !detachNorm) return null;
		NDArray n;
		try (GradMode ng = GradMode.noGrad()) {
			NDArray dw = lora.deltaWeight(layer, like);
			NDArray v = dw.add(w);
			NDArray sq = v.square();
			NDArray sum = sq.sum(normAxes(v.getShape().dimension(), axis), true);
			NDArray raw = sum.sqrt();
			n = raw.maximum(Param.scalar(tiny(like), raw));
			for (NDArray t : new NDArray[] {dw, v, sq, sum, raw}) t.close();
		}
		NDArray m = Param.scoped(Param.cast(magnitude, like).reshape(n.getShape()), like);
		return new LayerAdapter.InputScaling(m.div(n), lora);
	}

	/** The dtype's smallest normal number: the clamp that only changes an all-zero channel's 0/0. */
	private static double tiny(NDArray like) {
		return like.getDataType() == DataType.FLOAT16 ? 6.103515625e-5 : Float.MIN_NORMAL;
	}

	@Override
	public Map<String, NDArray> tensors() {
		Map<String, NDArray> m = new LinkedHashMap<>(lora.tensors());
		m.put("dora_scale", magnitude);
		return m;
	}
}
