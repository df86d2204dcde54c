package io.github.diffusej.generate;

import java.util.Random;

/**
 * Initial latents from a seed, drawn in Java rather than by the engine, so the same seed gives the same image on
 * every machine, device and operating system ({@link Random#nextGaussian()} is specified bit for bit).
 */
public final class SeededNoise {

	private SeededNoise() {}

	/** {@code n} standard normal samples for {@code seed}. */
	public static float[] gaussian(long seed, int n) {
		Random r = new Random(seed);
		float[] out = new float[n];
		for (int i = 0; i < n; i++) out[i] = (float) r.nextGaussian();
		return out;
	}
}
