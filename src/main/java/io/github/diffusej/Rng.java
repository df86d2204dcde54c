package io.github.diffusej;

import java.nio.charset.StandardCharsets;

/**
 * The training run's random numbers, drawn in Java so that a run is the same on every machine and device and
 * resumes exactly: the whole state is two numbers ({@link #state()}), saved with each checkpoint.
 *
 * <p>SplitMix64 (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators"), whose output
 * passes BigCrush; Gaussians by the Box-Muller transform, the second value of each pair kept for the next call.
 * Independent streams for the separate uses of a run (data order, noise, timesteps, augmentation, captions,
 * adapter initialisation) are made with {@link #stream}, so that switching one option on (say, random flips) does
 * not change the noise every later step sees.
 */
public final class Rng {

	private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

	private long state;
	private double spareGaussian;
	private boolean hasSpare;

	public Rng(long seed) {
		this.state = seed;
	}

	private Rng(long state, double spare, boolean hasSpare) {
		this.state = state;
		this.spareGaussian = spare;
		this.hasSpare = hasSpare;
	}

	/** A stream for one use of a run, independent of the streams of other names under the same seed. */
	public static Rng stream(long seed, String name) {
		long h = 0xCBF29CE484222325L; // FNV-1a over the name, then mixed with the seed
		for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
			h ^= b & 0xff;
			h *= 0x100000001B3L;
		}
		return new Rng(mix(seed ^ mix(h)));
	}

	public long nextLong() {
		state += GOLDEN_GAMMA;
		return mix(state);
	}

	private static long mix(long z) {
		z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
		z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
		return z ^ (z >>> 31);
	}

	/** Uniform in [0, 1) with 53 random bits. */
	public double nextDouble() {
		return (nextLong() >>> 11) * 0x1.0p-53;
	}

	/** Uniform in [0, bound), without modulo bias. */
	public int nextInt(int bound) {
		if (bound <= 0) throw new IllegalArgumentException("bound must be positive, not " + bound);
		long threshold = Long.remainderUnsigned(-(long) bound, bound); // 2^64 mod bound: reject [0, threshold)
		while (true) {
			long r = nextLong();
			if (Long.compareUnsigned(r, threshold) >= 0) return (int) Long.remainderUnsigned(r, bound);
		}
	}

	public boolean nextBoolean(double probability) {
		return nextDouble() < probability;
	}

	/** Standard normal. */
	public double nextGaussian() {
		if (hasSpare) {
			hasSpare = false;
			return spareGaussian;
		}
		double u1;
		do u1 = nextDouble(); while (u1 <= 0);
		double u2 = nextDouble();
		double r = Math.sqrt(-2 * Math.log(u1));
		spareGaussian = r * Math.sin(2 * Math.PI * u2);
		hasSpare = true;
		return r * Math.cos(2 * Math.PI * u2);
	}

	/** {@code n} standard normal floats. */
	public float[] gaussians(int n) {
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) nextGaussian();
		return v;
	}

	/** Fisher-Yates shuffle of {@code a} in place. */
	public void shuffle(int[] a) {
		for (int i = a.length - 1; i > 0; i--) {
			int j = nextInt(i + 1);
			int t = a[i];
			a[i] = a[j];
			a[j] = t;
		}
	}

	/** The complete state, for checkpoints. */
	public State state() {
		return new State(state, spareGaussian, hasSpare);
	}

	/** A generator continuing exactly where the one that gave {@code s} was. */
	public static Rng restore(State s) {
		return new Rng(s.counter(), s.spareGaussian(), s.hasSpare());
	}

	/** Serializable state: the SplitMix64 counter and the pending Gaussian, if any. */
	public record State(long counter, double spareGaussian, boolean hasSpare) {}
}
