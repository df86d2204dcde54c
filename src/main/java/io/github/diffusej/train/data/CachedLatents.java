package io.github.diffusej.train.data;

import java.util.Arrays;

/**
 * The VAE posterior of one image as the {@link LatentCache} keeps it, in Java arrays (one image of
 * {@link io.github.diffusej.train.Latents.Posterior}'s batch): a diagonal Gaussian with {@code mean} and {@code std} (diffusers'
 * {@code DiagonalGaussianDistribution}, {@code std = exp(0.5 * clamp(logvar, -30, 20))}). The trainer samples
 * {@code mean + std * eps} afresh each step, as diffusers' textual-inversion script does with
 * {@code latent_dist.sample()}, before multiplying by the VAE's scaling factor.
 *
 * @param shape [C, h, w] (4 x H/8 x W/8 for SD)
 * @param mean C*h*w values
 * @param std C*h*w values, >= 0
 */
public record CachedLatents(long[] shape, float[] mean, float[] std) {

	public CachedLatents {
		shape = shape.clone();
		if (shape.length != 3) throw new IllegalArgumentException("latent shape must be [C, h, w], not " + Arrays.toString(shape));
		long n = 1;
		for (long d : shape) {
			if (d <= 0) throw new IllegalArgumentException("latent shape " + Arrays.toString(shape) + " has a dimension <= 0");
			n = Math.multiplyExact(n, d);
		}
		if (mean.length != n || std.length != n) throw new IllegalArgumentException("latent shape "
			+ Arrays.toString(shape) + " needs " + n + " values; mean has " + mean.length + ", std " + std.length);
	}

	@Override
	public long[] shape() {
		return shape.clone();
	}

	/** Bytes held (mean and std). */
	public long bytes() {
		return 8L * mean.length;
	}

	/** {@code mean + std * noise}, element-wise; {@code noise} has as many values as the latents. */
	public float[] sample(float[] noise) {
		if (noise.length != mean.length) throw new IllegalArgumentException(noise.length + " noise values for " + mean.length + " latents");
		float[] z = new float[mean.length];
		for (int i = 0; i < z.length; i++) z[i] = mean[i] + std[i] * noise[i];
		return z;
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof CachedLatents l && Arrays.equals(shape, l.shape) && Arrays.equals(mean, l.mean) && Arrays.equals(std, l.std);
	}

	@Override
	public int hashCode() {
		return 31 * (31 * Arrays.hashCode(shape) + Arrays.hashCode(mean)) + Arrays.hashCode(std);
	}

	@Override
	public String toString() {
		return "CachedLatents" + Arrays.toString(shape);
	}
}
