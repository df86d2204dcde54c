package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * diffusers {@code Timesteps} / {@code get_timestep_embedding}: sinusoidal embedding of (possibly fractional)
 * timesteps, computed in float32 like the reference: {@code freq_k = exp(-ln(10000)·k / (half - shift))},
 * {@code [sin(t·f), cos(t·f)]}, halves swapped when {@code flip_sin_to_cos}. No parameters.
 */
public final class Timesteps {

	private final int dim;
	private final boolean flipSinToCos;
	private final double shift;

	public Timesteps(int dim, boolean flipSinToCos, double shift) {
		this.dim = dim;
		this.flipSinToCos = flipSinToCos;
		this.shift = shift;
	}

	/** t [B] (any numeric dtype) -> [B, dim] float32. */
	public NDArray forward(NDArray t) {
		int half = dim / 2;
		NDArray tf = t.toType(DataType.FLOAT32, false).reshape(-1, 1); // [B, 1]
		NDArray exponent = t.getManager().arange(0, half, 1, DataType.FLOAT32).mul(-Math.log(10000))
			.div(half - shift); // [half]
		NDArray args = tf.mul(exponent.exp().reshape(1, half)); // [B, half]
		NDArray sin = args.sin();
		NDArray cos = args.cos();
		NDArray emb = flipSinToCos ? NDArrays.concat(new NDList(cos, sin), 1) : NDArrays.concat(new NDList(sin, cos),
			1);
		if (dim % 2 == 1) emb = emb.pad(new ai.djl.ndarray.types.Shape(0, 1), 0);
		return emb;
	}
}
