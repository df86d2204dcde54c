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

	/**
	 * {@link #as} for a bare tensor (adapter weights): frozen tensors are cast, trainable ones must match while a
	 * graph is being recorded (without recording there is no graph to cut, e.g. when merging).
	 */
	public static NDArray cast(NDArray v, NDArray like) {
		if (v.getDataType() == like.getDataType()) return v;
		if (v.hasGradient() && GradMode.isRecording()) throw new IllegalStateException("trainable parameter is " + v.getDataType()
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

	/**
	 * A scalar of value {@code v} in the dtype and manager of {@code like}, whose memory belongs to PyTorch.
	 * Use it instead of {@code mul(Number)} / {@code div(Number)} / {@code maximum(Number)} in anything autograd
	 * may differentiate: DJL makes those scalars from a Java buffer and closes them right after the op, while the
	 * graph keeps pointing at that memory for backward; once the garbage collector reuses it the gradients are
	 * garbage (checked: gradients of ~1e-310 instead of 1.5 after a System.gc()).
	 */
	public static NDArray scalar(double v, NDArray like) {
		// zeros() is allocated by PyTorch and the sum is a new PyTorch tensor; neither records a graph, so the
		// temporary Java-backed scalar of add(Number) is not referenced after this line. (toType(dtype, true) to
		// the same dtype is not a copy: PyTorch returns the same Java-backed tensor.)
		NDArray zero = like.getManager().zeros(new Shape(), like.getDataType());
		NDArray s = zero.add(v);
		zero.close();
		return s;
	}

	/** {@code a · v}, safe under autograd (see {@link #scalar}); the result belongs to a's manager. */
	public static NDArray times(NDArray a, double v) {
		return a.mul(scalar(v, a));
	}
}
