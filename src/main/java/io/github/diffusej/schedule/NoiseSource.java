package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Where stochastic samplers get their N(0, 1) noise. The generation command passes a seeded source so that a seed
 * reproduces an image; tests pass a deterministic one.
 */
@FunctionalInterface
public interface NoiseSource {

	/** A tensor of independent standard normal values with the given shape and dtype, created by {@code manager}. */
	NDArray randn(NDManager manager, Shape shape, DataType dtype);

	/** The engine's global generator ({@code manager.randomNormal}); seed it with {@code Engine.setRandomSeed}. */
	static NoiseSource engine() {
		return (manager, shape, dtype) -> manager.randomNormal(0f, 1f, shape, dtype);
	}
}
