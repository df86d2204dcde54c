package io.github.diffusej.train.data;

/** Loss masks between pixel and latent resolution. */
public final class Masks {

	private Masks() {}

	/**
	 * Downsamples a [H, W] mask to the latent grid [H / factor, W / factor] by averaging each
	 * {@code factor x factor} block (kohya's masked loss: {@code F.interpolate(mask, size=latent_size, mode="area")}),
	 * so a latent cell half covered by the mask weighs 1/2.
	 *
	 * @param factor the VAE's downsampling factor ({@code 2^(len(block_out_channels) - 1)}, 8 for SD)
	 */
	public static float[] toLatentGrid(float[] mask, int width, int height, int factor) {
		if (factor <= 0 || width % factor != 0 || height % factor != 0) throw new IllegalArgumentException("mask "
			+ width + "x" + height + " is not divisible by the VAE factor " + factor);
		if (mask.length != width * height) throw new IllegalArgumentException("mask holds " + mask.length + " values, not "
			+ width + "x" + height);
		int lw = width / factor;
		int lh = height / factor;
		float[] out = new float[lw * lh];
		float inv = 1f / (factor * factor);
		for (int ly = 0; ly < lh; ly++) {
			for (int lx = 0; lx < lw; lx++) {
				float acc = 0;
				for (int dy = 0; dy < factor; dy++) {
					int row = (ly * factor + dy) * width + lx * factor;
					for (int dx = 0; dx < factor; dx++) acc += mask[row + dx];
				}
				out[ly * lw + lx] = acc * inv;
			}
		}
		return out;
	}

	/** Sum of the mask (the normaliser of a mask-weighted mean loss). */
	public static double area(float[] mask) {
		double s = 0;
		for (float v : mask) s += v;
		return s;
	}
}
