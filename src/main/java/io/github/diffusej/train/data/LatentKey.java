package io.github.diffusej.train.data;

/**
 * What the VAE latents of one training example depend on, and a hash of it for the cache file name. The key changes
 * when any of these change: the image file's bytes (SHA-256), its stored size, the bucket, the resized size, the crop
 * offsets, the flip, and the VAE (an identity string from the trainer: model path or hash, dtype, scaling factor,
 * device precision). The mask, the caption and the noise are not part of it: they do not change the latents.
 *
 * @param hash lower-case hex SHA-256 of {@code description}
 * @param description the canonical text of the key parts (stored in disk cache files and checked on reading)
 */
public record LatentKey(String hash, String description) {

	/** Version of the key text: raise it whenever the pixels a placement gives change (filters, normalisation). */
	static final String VERSION = "diffusej-latents/1";

	public static LatentKey of(String imageSha256, Placement p, String vaeIdentity) {
		if (imageSha256 == null || !imageSha256.matches("[0-9a-f]{64}")) throw new IllegalArgumentException(
			"not a hex SHA-256: " + imageSha256);
		if (vaeIdentity == null || vaeIdentity.isBlank()) throw new IllegalArgumentException("a VAE identity is needed");
		String d = VERSION + "\nimage=" + imageSha256 + "\nsize=" + p.original() + "\nbucket=" + p.bucket()
			+ "\nresized=" + p.resizedWidth() + "x" + p.resizedHeight() + "\ncrop=" + p.cropLeft() + "," + p.cropTop()
			+ "\nflip=" + p.flip() + "\nvae=" + vaeIdentity;
		return new LatentKey(FileHashes.sha256(d), d);
	}

	@Override
	public String toString() {
		return hash;
	}
}
