package io.github.diffusej.train.data;

/** Where the bucket-sized window is cut from an image resized to cover the bucket. */
public enum CropMode {
	/** The middle (kohya without {@code random_crop}, diffusers {@code center_crop}). */
	CENTER,
	/** A uniformly random offset along the overhanging side (kohya {@code random_crop}, torchvision RandomCrop). */
	RANDOM;

	/** {@code center} (or {@code centre}) or {@code random}, any case, as in the run's config. */
	public static CropMode parse(String s) {
		String n = s.strip().toLowerCase(java.util.Locale.ROOT);
		return switch (n) {
			case "center", "centre" -> CENTER;
			case "random" -> RANDOM;
			default -> throw new IllegalArgumentException("unknown crop '" + s + "': use center or random");
		};
	}
}
