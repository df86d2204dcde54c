package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * diffusers {@code DiagonalGaussianDistribution}: the VAE posterior from moments [B, 2L, h, w].
 *
 * @param mean [B, L, h, w]
 * @param logvar [B, L, h, w], clamped to [-30, 20]
 * @param std exp(logvar / 2)
 */
public record DiagonalGaussianDistribution(NDArray mean, NDArray logvar, NDArray std) {

	public static DiagonalGaussianDistribution of(NDArray moments) {
		NDList parts = moments.split(2, 1);
		NDArray logvar = parts.get(1).clip(-30.0, 20.0);
		return new DiagonalGaussianDistribution(parts.get(0), logvar, logvar.mul(0.5).exp());
	}

	/** mean + std · eps, with eps ~ N(0, 1) supplied by the caller (same shape as the mean). */
	public NDArray sample(NDArray eps) {
		return mean.add(std.mul(eps));
	}
}
