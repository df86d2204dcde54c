package io.github.diffusej.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Param;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LoRA (Hu et al. 2021): {@code y = W x + b + scale · up(down(x))} with {@code scale = alpha / rank}.
 *
 * <p>Linear layers: down [r, in], up [out, r]. Conv layers: down [r, in, k, k] (the layer's stride and padding),
 * up [out, r, 1, 1] (kohya's layout). The frozen layer is untouched; {@link #mergedWeight} gives
 * {@code W + scale · up @ down} for merging. down/up are used as given: mark them trainable with
 * {@code setRequiresGradient(true)}, in the compute dtype (a trainable tensor is never cast).
 */
public final class LoraAdapter implements LayerAdapter {

	private final NDArray down;
	private final NDArray up;
	private final double alpha;
	private final int rank;

	private LoraAdapter(NDArray down, NDArray up, double alpha) {
		this.down = down;
		this.up = up;
		this.alpha = alpha;
		this.rank = (int) down.getShape().get(0);
	}

	/**
	 * Wraps existing tensors (e.g. read from a kohya or PEFT file) after checking their shapes against the layer.
	 *
	 * @param alpha kohya/PEFT alpha; the scale is {@code alpha / rank} (pass {@code alpha = rank} for scale 1)
	 */
	public static LoraAdapter of(AdaptableLayer layer, NDArray down, NDArray up, double alpha) {
		long[] w = layer.weight().shape().getShape();
		long r = down.getShape().get(0);
		Shape wantDown;
		Shape wantUp;
		if (layer instanceof Conv2d) {
			wantDown = new Shape(r, w[1], w[2], w[3]);
			wantUp = new Shape(w[0], r, 1, 1);
		}
		else {
			wantDown = new Shape(r, w[1]);
			wantUp = new Shape(w[0], r);
		}
		if (!down.getShape().equals(wantDown) || !up.getShape().equals(wantUp)) throw new IllegalArgumentException(
			"LoRA shapes down " + down.getShape() + " / up " + up.getShape() + " do not fit a layer with weight "
				+ layer.weight().shape() + " (expected down " + wantDown + ", up " + wantUp + ")");
		return new LoraAdapter(down, up, alpha);
	}

	/**
	 * A fresh trainable adapter with PEFT's default init: down ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming
	 * uniform, a = sqrt(5)), up = 0, so the layer's output is unchanged at step 0. Seed the engine for
	 * reproducibility.
	 */
	public static LoraAdapter create(AdaptableLayer layer, int rank, double alpha, NDManager manager, DataType dtype) {
		long[] w = layer.weight().shape().getShape();
		boolean conv = layer instanceof Conv2d;
		long fanIn = conv ? w[1] * w[2] * w[3] : w[1];
		float bound = (float) (1 / Math.sqrt(fanIn));
		Shape downShape = conv ? new Shape(rank, w[1], w[2], w[3]) : new Shape(rank, w[1]);
		Shape upShape = conv ? new Shape(w[0], rank, 1, 1) : new Shape(w[0], rank);
		NDArray down = manager.randomUniform(-bound, bound, downShape, dtype);
		NDArray up = manager.zeros(upShape, dtype);
		down.setRequiresGradient(true);
		up.setRequiresGradient(true);
		return new LoraAdapter(down, up, alpha);
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
	public NDArray forward(AdaptableLayer layer, NDArray x) {
		NDArray base = layer.apply(x, layer.weight().as(x));
		NDArray h = layer.applyNoBias(x, Param.cast(down, x)); // [.., r] or [B, r, H', W']
		NDArray delta = layer instanceof Conv2d ? Conv2d.conv(h, Param.cast(up, x), null, 1, 0)
			: ai.djl.nn.core.Linear.linear(h, Param.cast(up, x)).singletonOrThrow();
		return base.add(delta.mul(scale()));
	}

	/** {@code scale · up @ down} shaped like the layer's weight, owned by {@code up}'s manager. */
	public static NDArray deltaWeight(NDArray up, NDArray down, double scale, Shape weightShape) {
		long out = weightShape.get(0);
		long r = down.getShape().get(0);
		return up.reshape(out, r).matMul(down.reshape(r, -1)).mul(scale).reshape(weightShape);
	}

	@Override
	public NDArray mergedWeight(AdaptableLayer layer) {
		NDArray w = layer.weight().array();
		NDArray delta = deltaWeight(up.stopGradient(), down.stopGradient(), scale(), w.getShape());
		NDArray cast = delta.getDataType() == w.getDataType() ? delta : delta.toType(w.getDataType(), false);
		NDArray merged = w.add(cast);
		if (cast != delta) cast.close();
		delta.close();
		return merged;
	}

	@Override
	public Map<String, NDArray> tensors() {
		Map<String, NDArray> m = new LinkedHashMap<>();
		m.put("lora_down.weight", down);
		m.put("lora_up.weight", up);
		return m;
	}
}
