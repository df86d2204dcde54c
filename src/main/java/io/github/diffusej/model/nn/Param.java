package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One named tensor of a network (a weight or bias), declared with its reference shape at construction time and
 * filled later by {@link Network#loadWeights}. A network can therefore be built at full size without allocating
 * anything, e.g. to compare its key/shape set with a manifest.
 */
public final class Param {

	private final long[] shape;
	private NDArray value;

	Param(long[] shape) {
		this.shape = shape.clone();
	}

	public Shape shape() {
		return new Shape(shape);
	}

	public boolean isLoaded() {
		return value != null;
	}

	/** The tensor; fails clearly when weights were never loaded. */
	public NDArray array() {
		if (value == null) throw new IllegalStateException("parameter of shape " + Arrays.toString(shape)
			+ " has no value: call loadWeights first (this network was built shapes-only)");
		return value;
	}

	/** Replaces the tensor (same shape required). The caller keeps ownership of the array's manager. */
	public void set(NDArray v) {
		if (!Arrays.equals(v.getShape().getShape(), shape)) throw new IllegalArgumentException(
			"shape " + v.getShape() + " does not match the declared " + Arrays.toString(shape));
		value = v;
	}

	/**
	 * The value in the compute dtype of {@code like}. Frozen values are cast (the cast result belongs to
	 * {@code like}'s manager, i.e. to the caller's scope); a trainable leaf is never cast, because {@code toType}
	 * cuts the autograd graph.
	 */
	public NDArray as(NDArray like) {
		return cast(array(), like);
	}

	/** {@link #as} for a bare tensor (adapter weights): frozen tensors are cast, trainable ones must match. */
	public static NDArray cast(NDArray v, NDArray like) {
		if (v.getDataType() == like.getDataType()) return v;
		if (v.hasGradient()) throw new IllegalStateException("trainable parameter is " + v.getDataType()
			+ " but the computation runs in " + like.getDataType()
			+ ": keep trainable tensors in the compute dtype (casting would cut the gradient)");
		NDArray c = v.toType(like.getDataType(), false);
		c.attach(like.getManager());
		return c;
	}

	/**
	 * Moves a fresh temporary derived from a parameter (a reshape, a view) into the manager of {@code like}, the
	 * caller's scope: an op's result belongs to its left operand's manager, so without this it would pile up in
	 * the weights' manager. Never pass a parameter itself.
	 */
	public static NDArray scoped(NDArray fresh, NDArray like) {
		if (fresh.getManager() != like.getManager()) fresh.attach(like.getManager());
		return fresh;
	}
}
