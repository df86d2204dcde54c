package io.github.diffusej.data;

import java.util.Locale;
import java.util.Objects;

/**
 * Everything that decides how source images become training images and captions. Recorded verbatim in
 * {@code dataset.json} so that a dataset can be rebuilt and cited.
 *
 * @param planes which planes of each source are taken
 * @param normalization how 16/32-bit data become 8-bit
 * @param sizing how images are cut and scaled to the training resolution
 * @param captions how captions are made
 * @param hygiene duplicates and the train/validation split
 */
public record BuildSettings(PlaneSelection planes, Normalization normalization, Sizing sizing,
	CaptionSettings captions, Hygiene hygiene)
{

	public BuildSettings {
		Objects.requireNonNull(planes, "planes");
		Objects.requireNonNull(normalization, "normalization");
		Objects.requireNonNull(sizing, "sizing");
		Objects.requireNonNull(captions, "captions");
		Objects.requireNonNull(hygiene, "hygiene");
	}

	public static BuildSettings defaults() {
		return new BuildSettings(PlaneSelection.all(), Normalization.defaults(), Sizing.defaults(),
			CaptionSettings.defaults(), Hygiene.defaults());
	}

	public BuildSettings withPlanes(PlaneSelection p) {
		return new BuildSettings(p, normalization, sizing, captions, hygiene);
	}

	public BuildSettings withNormalization(Normalization n) {
		return new BuildSettings(planes, n, sizing, captions, hygiene);
	}

	public BuildSettings withSizing(Sizing s) {
		return new BuildSettings(planes, normalization, s, captions, hygiene);
	}

	public BuildSettings withCaptions(CaptionSettings c) {
		return new BuildSettings(planes, normalization, sizing, c, hygiene);
	}

	public BuildSettings withHygiene(Hygiene h) {
		return new BuildSettings(planes, normalization, sizing, captions, h);
	}

	/** Which planes to take. */
	public enum PlaneMode {
		/** Every selected channel, slice and frame becomes its own image (each channel through its LUT). */
		ALL,
		/** Only the channel that is current in the image window, every selected slice and frame. */
		CURRENT_CHANNEL,
		/** One image per slice and frame: the selected channels combined as a composite displays them. */
		COMPOSITE;

		public static PlaneMode parse(String s) {
			return parseEnum(PlaneMode.class, s);
		}
	}

	/**
	 * @param mode which planes
	 * @param channels channel range in ImageJ notation ({@code "1-3,5"}), empty = all
	 * @param slices z range, empty = all
	 * @param frames t range, empty = all
	 */
	public record PlaneSelection(PlaneMode mode, String channels, String slices, String frames) {

		public PlaneSelection {
			Objects.requireNonNull(mode, "mode");
			channels = channels == null ? "" : channels.trim();
			slices = slices == null ? "" : slices.trim();
			frames = frames == null ? "" : frames.trim();
			IndexRange.parse(channels, 0, "channels");
			IndexRange.parse(slices, 0, "slices");
			IndexRange.parse(frames, 0, "frames");
		}

		public static PlaneSelection all() {
			return new PlaneSelection(PlaneMode.ALL, "", "", "");
		}
	}

	/** How intensities of 16/32-bit data (and 8-bit with {@link #DISPLAY_RANGE}) map to 0..255. */
	public enum NormalizeMode {
		/** Percentile contrast computed on each plane. */
		PER_IMAGE,
		/** Percentile contrast computed once per channel over all selected planes of a source. */
		PER_STACK,
		/** The display range the image currently shows (what the user sees); for composites per channel. */
		DISPLAY_RANGE;

		public static NormalizeMode parse(String s) {
			return parseEnum(NormalizeMode.class, s);
		}
	}

	/**
	 * @param mode which contrast
	 * @param saturation percent of pixels allowed to saturate, split evenly between dark and bright ends
	 *        (ImageJ's Auto uses 0.35)
	 */
	public record Normalization(NormalizeMode mode, double saturation) {

		public Normalization {
			Objects.requireNonNull(mode, "mode");
			if (!(saturation >= 0 && saturation < 100)) {
				throw new IllegalArgumentException("saturation must be in [0, 100) percent, got " + saturation);
			}
		}

		public static Normalization defaults() {
			return new Normalization(NormalizeMode.PER_IMAGE, 0.35);
		}
	}

	/** How each plane is cut and scaled to training images. */
	public enum SizingMode {
		/** Scale the shortest side to the resolution and crop the centre: one square image per plane. */
		RESIZE_CROP,
		/** Resolution-sized tiles with overlap; tiles that are empty are skipped. */
		TILE,
		/** One square crop around each area ROI, scaled to the resolution. */
		ROI_CROPS,
		/** Keep each plane as it is (no scaling, no cropping). */
		KEEP;

		public static SizingMode parse(String s) {
			return parseEnum(SizingMode.class, s);
		}
	}

	/**
	 * @param mode sizing mode
	 * @param resolution side of the square training images in pixels
	 * @param tileOverlap overlap of neighbouring tiles in pixels ({@link SizingMode#TILE})
	 * @param minTileStd a tile whose luminance standard deviation (0..255 scale) is below this is empty
	 * @param maxBackgroundFraction a tile with more than this fraction of background pixels is empty
	 * @param masks write ROI-derived masks (255 = train) for masked loss
	 */
	public record Sizing(SizingMode mode, int resolution, int tileOverlap, double minTileStd,
		double maxBackgroundFraction, boolean masks)
	{

		public Sizing {
			Objects.requireNonNull(mode, "mode");
			if (resolution < 8 || resolution > 8192) {
				throw new IllegalArgumentException("resolution must be in 8..8192 pixels, got " + resolution);
			}
			if (tileOverlap < 0 || (mode == SizingMode.TILE && tileOverlap >= resolution)) {
				throw new IllegalArgumentException("tile overlap must be in 0.." + (resolution - 1)
					+ " pixels (below the resolution), got " + tileOverlap);
			}
			if (!(minTileStd >= 0)) throw new IllegalArgumentException("min tile std must be >= 0, got " + minTileStd);
			if (!(maxBackgroundFraction > 0 && maxBackgroundFraction <= 1)) {
				throw new IllegalArgumentException("max background fraction must be in (0, 1], got "
					+ maxBackgroundFraction);
			}
		}

		public static Sizing defaults() {
			return new Sizing(SizingMode.RESIZE_CROP, 512, 64, 2.0, 0.95, false);
		}
	}

	/** Where a caption comes from. */
	public enum CaptionSource {
		/** The caption template. */
		TEMPLATE,
		/** The slice label's first line; the template where a plane has no label. */
		SLICE_LABEL;

		public static CaptionSource parse(String s) {
			return parseEnum(CaptionSource.class, s);
		}
	}

	/**
	 * @param template caption template, see {@link CaptionTemplate}
	 * @param prefix text put before every caption (e.g. a trigger word)
	 * @param token the trigger token, value of {@code {token}}
	 * @param source template or slice labels
	 */
	public record CaptionSettings(String template, String prefix, String token, CaptionSource source) {

		public CaptionSettings {
			template = template == null ? "" : template;
			prefix = prefix == null ? "" : prefix;
			token = token == null ? "" : token.trim();
			Objects.requireNonNull(source, "source");
			CaptionTemplate.parse(template);
		}

		public static CaptionSettings defaults() {
			return new CaptionSettings("a microscopy image of {token}", "", "", CaptionSource.TEMPLATE);
		}
	}

	/**
	 * @param removeDuplicates leave exact and near duplicates out of the dataset (else only report them)
	 * @param nearDuplicateDistance largest dHash Hamming distance (of 64 bits) counted as a near duplicate;
	 *        -1 turns near-duplicate detection off (exact duplicates are always found)
	 * @param validationFraction fraction of items held out for validation, 0 for none
	 * @param seed seed of the reproducible split
	 */
	public record Hygiene(boolean removeDuplicates, int nearDuplicateDistance, double validationFraction, long seed) {

		public Hygiene {
			if (nearDuplicateDistance < -1 || nearDuplicateDistance > 64) {
				throw new IllegalArgumentException("near-duplicate distance must be -1 (off) or 0..64, got "
					+ nearDuplicateDistance);
			}
			if (!(validationFraction >= 0 && validationFraction < 1)) {
				throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
			}
		}

		public static Hygiene defaults() {
			return new Hygiene(false, 4, 0, 42);
		}
	}

	static <E extends Enum<E>> E parseEnum(Class<E> type, String s) {
		String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
		for (E e : type.getEnumConstants()) {
			if (e.name().equals(n)) return e;
		}
		StringBuilder known = new StringBuilder();
		for (E e : type.getEnumConstants()) {
			if (known.length() > 0) known.append(", ");
			known.append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
		}
		throw new IllegalArgumentException("Unknown " + type.getSimpleName() + " '" + s + "'; known: " + known);
	}
}
