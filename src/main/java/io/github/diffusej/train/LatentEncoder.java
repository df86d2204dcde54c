package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.DiagonalGaussianDistribution;

/**
 * Images to training latents as the diffusers scripts make them: the VAE posterior of the pixels (in [-1, 1]),
 * sampled afresh at every step ({@code mean + std eps}) and multiplied by the VAE's scaling factor. The posterior
 * is what the latent cache keeps; sampling it is cheap.
 */
public final class LatentEncoder {

	/** The posterior's mean and standard deviation [B, L, h, w], float32. */
	public record Posterior(NDArray mean, NDArray std) {}

	private LatentEncoder() {}

	/**
	 * Encodes pixels [B, 3, H, W] (float32, in [-1, 1]) without recording a graph. The VAE runs in float32 even
	 * when its weights are float16 (the SD VAE overflows in float16); results belong to {@code pixels}' manager.
	 */
	public static Posterior encode(AutoencoderKL vae, NDArray pixels) {
		try (GradMode ng = GradMode.noGrad()) {
			NDArray x = pixels.getDataType() == DataType.FLOAT32 ? pixels : pixels.toType(DataType.FLOAT32, false);
			DiagonalGaussianDistribution d = vae.encode(x);
			NDArray mean = d.mean(), std = d.std();
			mean.attach(pixels.getManager());
			std.attach(pixels.getManager());
			return new Posterior(mean, std);
		}
	}

	/** {@code (mean + std eps) x scalingFactor}: the latents x0 of one step. */
	public static NDArray sample(Posterior p, NDArray eps, double scalingFactor) {
		return p.mean().add(p.std().mul(eps)).mul(scalingFactor);
	}
}
