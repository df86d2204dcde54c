package io.github.diffusej.data;

import java.util.List;

/**
 * {@code dataset.json}: provenance of a DiffuseJ dataset, enough to rebuild and cite it. Written last by a build,
 * so a folder whose manifest says {@code complete: true} holds a finished dataset.
 *
 * @param formatVersion version of this file's layout ({@value #FORMAT_VERSION})
 * @param generator "DiffuseJ x.y.z"
 * @param created ISO-8601 UTC time of the first build
 * @param updated ISO-8601 UTC time of the last change (build, add or caption edit)
 * @param complete true once everything else was written
 * @param formats the formats written in each split folder, first = the one read back
 * @param builds every build that added items (a dataset grows by "add")
 * @param sources every source image, with licence and attribution
 * @param items every item with where it came from; {@code image}/{@code mask} relative to the dataset root
 * @param skipped inputs that were left out, and why
 * @param duplicates exact and near duplicates found
 */
public record DatasetManifest(int formatVersion, String generator, String created, String updated, boolean complete,
	List<String> formats, List<Build> builds, List<Source> sources, List<Item> items, List<Skipped> skipped,
	List<Duplicate> duplicates)
{

	public static final int FORMAT_VERSION = 1;
	public static final String FILE_NAME = "dataset.json";

	public DatasetManifest {
		formats = formats == null ? List.of() : List.copyOf(formats);
		builds = builds == null ? List.of() : List.copyOf(builds);
		sources = sources == null ? List.of() : List.copyOf(sources);
		items = items == null ? List.of() : List.copyOf(items);
		skipped = skipped == null ? List.of() : List.copyOf(skipped);
		duplicates = duplicates == null ? List.of() : List.copyOf(duplicates);
	}

	/** One build: when, by what, with which settings. */
	public record Build(int id, String date, String generator, BuildSettings settings, int itemsAdded,
		int emptyTilesSkipped, long nonFinitePixels) {}

	/** Calibration of a source as ImageJ holds it. */
	public record Calibration(double pixelWidth, double pixelHeight, double pixelDepth, String unit,
		double frameInterval, String timeUnit) {}

	/**
	 * A source image.
	 *
	 * @param type e.g. "16-bit", "8-bit composite", "RGB"
	 * @param source where the image came from (URL, DOI, instrument, free text)
	 * @param licence licence of the image (SPDX id or text)
	 * @param attribution who must be credited
	 */
	public record Source(int id, int build, String title, String file, int width, int height, int channels,
		int slices, int frames, String type, Calibration calibration, String source, String licence,
		String attribution) {}

	/**
	 * An item.
	 *
	 * @param image path relative to the dataset root ({@code train/00001.png})
	 * @param mask mask path relative to the root, or null
	 * @param split "train" or "validation"
	 * @param c channel (1-based), 0 for a composite of {@code channels}
	 * @param x left of the source rectangle, in source pixels
	 */
	public record Item(String image, String caption, String mask, String split, int build, int source, int c,
		String channels, int z, int t, int x, int y, int width, int height, String roi, String sha256,
		String dhash) {

		public Item withCaption(String newCaption) {
			return new Item(image, newCaption, mask, split, build, source, c, channels, z, t, x, y, width, height,
				roi, sha256, dhash);
		}
	}

	/** An input that was left out. */
	public record Skipped(String input, String reason) {}

	/** An item that repeats an earlier one; {@code removed} when it was left out of the dataset. */
	public record Duplicate(String item, String duplicateOf, boolean exact, int distance, boolean removed) {}
}
