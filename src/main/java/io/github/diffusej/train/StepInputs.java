package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;

/**
 * One micro-batch as the step sees it, everything random already drawn (so a test can give the reference's
 * inputs and get the reference's step).
 *
 * @param latents clean latents x0 [B, C, h, w] (already multiplied by the VAE scaling factor)
 * @param ids caption token ids [B, T] (int64)
 * @param noise the noise [B, C, h, w]
 * @param timesteps one train timestep per image
 * @param mask latent-resolution loss mask [B, 1, h, w] in [0, 1] (1 = train), or null for none
 * @param weights a loss weight per image (regularisation images), or null for all 1
 */
public record StepInputs(NDArray latents, NDArray ids, NDArray noise, long[] timesteps, NDArray mask,
	double[] weights)
{

	public StepInputs {
		long b = latents.getShape().get(0);
		if (ids.getShape().get(0) != b || noise.getShape().get(0) != b || timesteps.length != b
			|| mask != null && mask.getShape().get(0) != b || weights != null && weights.length != b)
			throw new IllegalArgumentException("inconsistent batch sizes in a training step");
	}

	public int batchSize() {
		return timesteps.length;
	}
}
