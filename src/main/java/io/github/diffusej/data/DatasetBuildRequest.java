package io.github.diffusej.data;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What to build: the sources, where to, in which formats, what to do when the folder holds a dataset already,
 * and how ({@link BuildSettings}).
 *
 * @param sources images and files, in order
 * @param outputDir the dataset folder to create
 * @param formats formats to write (at least one; the first is the one read back)
 * @param ifExists what to do when {@code outputDir} holds a dataset already
 * @param settings conversion, sizing, captions, hygiene
 */
public record DatasetBuildRequest(List<ImageSource> sources, Path outputDir, List<DatasetFormat> formats,
	ExistingPolicy ifExists, BuildSettings settings)
{

	/** What a build does with an output folder that holds a DiffuseJ dataset already. */
	public enum ExistingPolicy {
		/** Stop with an error; nothing is touched (the default). */
		REFUSE,
		/** Add the new items to the dataset; existing items, captions and provenance stay. */
		ADD,
		/** Build the new dataset beside it, then swap it in and delete the old one. */
		REPLACE;

		public static ExistingPolicy parse(String s) {
			return BuildSettings.parseEnum(ExistingPolicy.class, s);
		}
	}

	public DatasetBuildRequest {
		sources = List.copyOf(sources);
		Objects.requireNonNull(outputDir, "outputDir");
		if (formats == null || formats.isEmpty()) formats = List.of(DatasetFormat.INVOKE_JSONL);
		Set<DatasetFormat> distinct = EnumSet.noneOf(DatasetFormat.class);
		for (DatasetFormat f : formats) {
			if (!distinct.add(f)) throw new IllegalArgumentException("format " + f.id() + " is listed twice");
		}
		formats = List.copyOf(formats);
		if (ifExists == null) ifExists = ExistingPolicy.REFUSE;
		if (settings == null) settings = BuildSettings.defaults();
	}

	public DatasetBuildRequest(List<ImageSource> sources, Path outputDir, BuildSettings settings) {
		this(sources, outputDir, List.of(DatasetFormat.INVOKE_JSONL), ExistingPolicy.REFUSE, settings);
	}

	public DatasetBuildRequest withFormats(List<DatasetFormat> f) {
		return new DatasetBuildRequest(sources, outputDir, f, ifExists, settings);
	}

	public DatasetBuildRequest withIfExists(ExistingPolicy p) {
		return new DatasetBuildRequest(sources, outputDir, formats, p, settings);
	}
}
