package io.github.diffusej.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Param;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA (Hu et al. 2021): {@code ΔW = (alpha/r)·up@down}, i.e. {@code y = W x + b + (alpha/r)·up(down(x))}.
 *
 * <p>Linear layers: down [r, in], up [out, r]. Conv layers (kohya's LoCon layout): down [r, in, k, k] run with the
 * layer's stride and padding, up [out, r, 1, 1]. The tensors are used as given: frozen ones (files) are cast to the
 * compute dtype at use, trainable ones must already be in it (a cast would cut their gradient).
 */
public final class LoraAdapter implements LayerAdapter.Additive {

	private NDArray down;
	private NDArray up;
	private final double alpha;
	private final int rank;
	private final boolean trainable;

	private LoraAdapter(NDArray down, NDArray up, double alpha, boolean trainable) {
		this.down = down;
		this.up = up;
		this.rank = (int) down.getShape().get(0);
		this.alpha = alpha;
		this.trainable = trainable;
	}

	/**
	 * Wraps existing tensors after checking their shapes against the layer.
	 *
	 * @param alpha kohya/PEFT alpha; scale {@code alpha / rank}; zero or NaN means alpha = rank (kohya's rule)
	 * @param trainable whether the tensors change between forwards (then nothing derived from them is cached)
	 */
	public static LoraAdapter of(AdaptableLayer layer, NDArray down, NDArray up, double alpha, boolean trainable) {
		long r = down.getShape().dimension() == 0 ? 0 : down.getShape().get(0);
		Shape wantDown = downShape(layer, (int) r);
		Shape wantUp = upShape(layer, (int) r);
		if (r < 1 || !down.getShape().equals(wantDown) || !up.getShape().equals(wantUp))
			throw new IllegalArgumentException("LoRA shapes down " + down.getShape() + " / up " + up.getShape()
				+ " do not fit a layer with weight " + layer.weight().shape() + " (expected down " + wantDown + ", up "
				+ wantUp + ")");
		double a = Double.isNaN(alpha) || alpha == 0 ? r : alpha;
		if (!Double.isFinite(a)) throw new IllegalArgumentException("LoRA alpha " + alpha + " is not finite");
		return new LoraAdapter(down, up, a, trainable);
	}

	/**
	 * A fresh trainable adapter in {@code manager}: down drawn from {@code rng} with kohya's/PEFT's Kaiming-uniform
	 * init ({@link #kaimingUniform}), up = 0, so the layer's output is unchanged at step 0. The tensors do not
	 * require a gradient yet: mark them ({@code setRequiresGradient(true)}) or let {@link LoraNetwork#step} put
	 * trainable leaves in their place.
	 */
	public static LoraAdapter create(AdaptableLayer layer, int rank, double alpha, Rng rng, NDManager manager,
		DataType dtype)
	{
		Shape ds = downShape(layer, rank);
		NDArray down = inDtype(manager.create(kaimingUniform(rng, ds), ds), dtype);
		NDArray up = manager.zeros(upShape(layer, rank), dtype);
		return of(layer, down, up, alpha, true);
	}

	/** {@code a} converted to {@code dtype} in its own manager (the float32 original is closed). */
	static NDArray inDtype(NDArray a, DataType dtype) {
		if (a.getDataType() == dtype) return a;
		NDArray c = a.toType(dtype, true);
		a.close();
		return c;
	}

	/** The down shape for rank {@code r}: [r, in] or [r, in, k, k]. */
	public static Shape downShape(AdaptableLayer layer, int r) {
		long[] w = layer.weight().shape().getShape();
		return layer instanceof Conv2d ? new Shape(r, w[1], w[2], w[3]) : new Shape(r, w[1]);
	}

	/** The up shape for rank {@code r}: [out, r] or [out, r, 1, 1]. */
	public static Shape upShape(AdaptableLayer layer, int r) {
		long out = layer.weight().shape().get(0);
		return layer instanceof Conv2d ? new Shape(out, r, 1, 1) : new Shape(out, r);
	}

	/**
	 * {@code torch.nn.init.kaiming_uniform_(w, a=sqrt(5))} as kohya, LyCORIS and PEFT initialise {@code lora_down}:
	 * U(-b, b) with {@code b = gain·sqrt(3 / fan_in) = 1/sqrt(fan_in)} (gain = sqrt(2 / (1 + a²))), fan_in = the
	 * product of all axes but the first. Drawn in Java, row-major, so it is the same on every device.
	 */
	public static float[] kaimingUniform(Rng rng, Shape shape) {
		long fanIn = shape.size() / shape.get(0);
		double bound = 1 / Math.sqrt(fanIn);
		float[] v = new float[Math.toIntExact(shape.size())];
		for (int i = 0; i < v.length; i++) v[i] = (float) (bound * (2 * rng.nextDouble() - 1));
		return v;
	}

	public NDArray down() {
		return down;
	}

	public NDArray up() {
		return up;
	}

	public int rank() {
		return rank;
	}

	public double alpha() {
		return alpha;
	}

	public double scale() {
		return alpha / rank;
	}

	@Override
	public boolean trainable() {
		return trainable;
	}

	/**
	 * Replaces one tensor by one of the same shape (a working copy for one training step); {@code part} is
	 * {@code lora_down.weight} or {@code lora_up.weight}.
	 */
	void use(String part, NDArray value) {
		NDArray old = switch (part) {
			case "lora_down.weight" -> down;
			case "lora_up.weight" -> up;
			default -> throw new IllegalArgumentException("LoRA has no tensor '" + part + "'");
		};
		if (!old.getShape().equals(value.getShape())) throw new IllegalArgumentException(part + ": shape "
			+ value.getShape() + " does not replace " + old.getShape());
		if (part.equals("lora_down.weight")) down = value;
		else up = value;
	}

	@Override
	public NDArray deltaWeight(AdaptableLayer layer, NDArray like) {
		Shape ws = layer.weight().shape();
		NDArray u = Param.scoped(Param.cast(up, like).reshape(ws.get(0), rank), like);
		NDArray d = Param.scoped(Param.cast(down, like).reshape(rank, -1), like);
		return Param.times(u.matMul(d), scale()).reshape(ws);
	}

	@Override
	public NDArray deltaOutput(AdaptableLayer layer, NDArray x) {
		NDArray h = layer.applyNoBias(x, Param.cast(down, x)); // [.., r] or [B, r, H', W']
		NDArray delta = layer instanceof Conv2d ? Conv2d.conv(h, Param.cast(up, x), null, 1, 0)
			: ai.djl.nn.core.Linear.linear(h, Param.cast(up, x)).singletonOrThrow();
		return Param.times(delta, scale());
	}

	@Override
	public Map<String, NDArray> tensors() {
		Map<String, NDArray> m = new LinkedHashMap<>();
		m.put("lora_down.weight", down);
		m.put("lora_up.weight", up);
		return m;
	}
}
