package io.github.diffusej.model.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Param;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DoRA (Liu et al. 2024, "Weight-Decomposed Low-Rank Adaptation"): the weight is recomposed as
 * {@code W' = m · V / ||V||} with {@code V = W + scale · up @ down}, and the layer runs with {@code W'} and its own
 * bias. The norm is taken per output row (over every axis but 0; m has shape [out], PEFT's layout) or per input
 * column (over axis 0; m has the weight's shape without axis 0), and is detached from the graph by default as the
 * paper (§4.3) and PEFT do. down/up follow {@link LoraAdapter}'s layouts; m starts as ||W||, so a fresh adapter
 * (up = 0) leaves the layer unchanged.
 */
public final class DoraAdapter implements LayerAdapter {

	/** Which norm DoRA divides by. */
	public enum NormAxis {
		/** ||V|| over all axes but the output axis: one magnitude per output row (PEFT). */
		OUTPUT_ROW,
		/** ||V|| over the output axis: one magnitude per input column (the paper's ||.||_c for W in R^{d x k}). */
		INPUT_COLUMN
	}

	private final NDArray down;
	private final NDArray up;
	private final NDArray magnitude;
	private final double alpha;
	private final NormAxis axis;
	private final boolean detachNorm;

	private DoraAdapter(NDArray down, NDArray up, NDArray magnitude, double alpha, NormAxis axis, boolean detachNorm) {
		this.down = down;
		this.up = up;
		this.magnitude = magnitude;
		this.alpha = alpha;
		this.axis = axis;
		this.detachNorm = detachNorm;
	}

	/** Wraps existing tensors; {@code magnitude} is [out] (OUTPUT_ROW) or the weight shape without axis 0. */
	public static DoraAdapter of(AdaptableLayer layer, NDArray down, NDArray up, NDArray magnitude, double alpha,
		NormAxis axis, boolean detachNorm)
	{
		LoraAdapter.of(layer, down, up, alpha); // shape checks
		Shape want = magnitudeShape(layer.weight().shape(), axis);
		if (!magnitude.getShape().equals(want)) throw new IllegalArgumentException("DoRA magnitude "
			+ magnitude.getShape() + " does not fit weight " + layer.weight().shape() + " (expected " + want + ")");
		return new DoraAdapter(down, up, magnitude, alpha, axis, detachNorm);
	}

	/** A fresh trainable adapter: LoRA init for down/up, m = ||W|| (all three trainable). */
	public static DoraAdapter create(AdaptableLayer layer, int rank, double alpha, NormAxis axis, NDManager manager,
		DataType dtype)
	{
		LoraAdapter l = LoraAdapter.create(layer, rank, alpha, manager, dtype);
		NDArray m;
		try (NDManager tmp = manager.newSubManager()) {
			NDArray w = layer.weight().array().toType(dtype, true);
			w.attach(tmp);
			m = own(norm(w, axis), tmp).reshape(magnitudeShape(w.getShape(), axis));
			m.attach(manager);
		}
		m.setRequiresGradient(true);
		return new DoraAdapter(l.down(), l.up(), m, alpha, axis, true);
	}

	private static Shape magnitudeShape(Shape w, NormAxis axis) {
		return axis == NormAxis.OUTPUT_ROW ? new Shape(w.get(0)) : w.slice(1);
	}

	/** Moves a fresh temporary into {@code scope} (the caller's), so nothing lands in a parameter's manager. */
	private static NDArray own(NDArray a, NDManager scope) {
		if (a.getManager() != scope) a.attach(scope);
		return a;
	}

	/** ||v|| keeping dims, broadcastable against v; temporaries belong to v's manager. */
	private static NDArray norm(NDArray v, NormAxis axis) {
		int n = v.getShape().dimension();
		int[] axes;
		if (axis == NormAxis.OUTPUT_ROW) {
			axes = new int[n - 1];
			for (int i = 1; i < n; i++) axes[i - 1] = i;
		}
		else axes = new int[] {0};
		return v.square().sum(axes, true).sqrt();
	}

	public NDArray down() {
		return down;
	}

	public NDArray up() {
		return up;
	}

	public NDArray magnitude() {
		return magnitude;
	}

	public double scale() {
		return alpha / down.getShape().get(0);
	}

	/**
	 * W' in the dtype of {@code like}. The first op on each parameter is moved into {@code like}'s manager (the
	 * caller's scope), so later ops, whose results belong to their left operand's manager, stay there too.
	 */
	private NDArray recomposed(AdaptableLayer layer, NDArray like) {
		NDManager scope = like.getManager();
		NDArray w = layer.weight().as(like);
		Shape ws = w.getShape();
		long out = ws.get(0);
		long r = down.getShape().get(0);
		NDArray u = own(Param.cast(up, like).reshape(out, r), scope);
		NDArray d = own(Param.cast(down, like).reshape(r, -1), scope);
		NDArray v = u.matMul(d).mul(scale()).reshape(ws).add(w);
		NDArray nrm = norm(v, axis);
		if (detachNorm) nrm = nrm.stopGradient();
		long[] ms = new long[ws.dimension()];
		java.util.Arrays.fill(ms, 1);
		if (axis == NormAxis.OUTPUT_ROW) ms[0] = out;
		else for (int i = 1; i < ms.length; i++) ms[i] = ws.get(i);
		NDArray mag = own(Param.cast(magnitude, like).reshape(ms), scope);
		return mag.mul(v.div(nrm));
	}

	@Override
	public NDArray forward(AdaptableLayer layer, NDArray x) {
		return layer.apply(x, recomposed(layer, x));
	}

	@Override
	public NDArray mergedWeight(AdaptableLayer layer) {
		NDArray w = layer.weight().array();
		NDArray merged = recomposed(layer, w).stopGradient();
		merged.attach(w.getManager());
		return merged;
	}

	@Override
	public Map<String, NDArray> tensors() {
		Map<String, NDArray> m = new LinkedHashMap<>();
		m.put("lora_down.weight", down);
		m.put("lora_up.weight", up);
		m.put("dora_scale", magnitude);
		return m;
	}
}
