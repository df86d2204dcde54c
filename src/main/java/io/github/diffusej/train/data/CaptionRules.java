package io.github.diffusej.train.data;

import java.util.List;

/**
 * How captions are made for training; {@link CaptionMaker} applies the rules.
 *
 * @param templates caption templates with one {@code {}} slot for the placeholder ({@link CaptionPreset} or the
 *     user's own, as invoke-training's {@code caption_templates}); empty: use the dataset's captions
 * @param keepDatasetCaptions with templates: the filled template is put before the dataset's caption, joined by a
 *     space (invoke-training's {@code keep_original_captions}); without: the template replaces it
 * @param placeholder the placeholder or trigger (e.g. {@code <my-cell>}, case-sensitive); null or blank: none.
 *     Multi-vector placeholders stay as one word here: the model's {@code expandTriggers} expands them
 * @param replaceWord in dataset captions without the placeholder, whole-word occurrences of this word (any case)
 *     become the placeholder (e.g. the initializer word {@code cell}); null or blank: none (the placeholder is put first)
 * @param separator the tag separator for shuffling and tag dropout (kohya's {@code caption_separator}, ",");
 *     tags are joined with the separator and a space
 * @param captionDropout probability that a step's caption is empty (kohya's {@code caption_dropout_rate}), in [0, 1]
 * @param shuffleTags shuffle the tags after the first {@code keepTokens} (kohya's {@code shuffle_caption})
 * @param keepTokens leading tags kept in place by shuffling and tag dropout (kohya's {@code keep_tokens})
 * @param tagDropout probability that each other tag is left out (kohya's {@code caption_tag_dropout_rate}), in
 *     [0, 1); a tag holding the placeholder is never left out
 */
public record CaptionRules(List<String> templates, boolean keepDatasetCaptions, String placeholder, String replaceWord,
	String separator, double captionDropout, boolean shuffleTags, int keepTokens, double tagDropout)
{

	public CaptionRules {
		templates = templates == null ? List.of() : List.copyOf(templates);
		placeholder = placeholder == null || placeholder.isBlank() ? null : placeholder.strip();
		replaceWord = replaceWord == null || replaceWord.isBlank() ? null : replaceWord.strip();
		separator = separator == null || separator.isEmpty() ? "," : separator;
		for (String t : templates) {
			int first = t.indexOf("{}");
			if (first < 0 || t.indexOf("{}", first + 2) >= 0) throw new IllegalArgumentException("caption template '" + t
				+ "' must contain exactly one {} for the placeholder");
		}
		if (!templates.isEmpty() && placeholder == null) throw new IllegalArgumentException(
			"caption templates need a placeholder token to put in their {}");
		if (!(captionDropout >= 0 && captionDropout <= 1)) throw new IllegalArgumentException("caption dropout must lie in [0, 1], not " + captionDropout);
		if (!(tagDropout >= 0 && tagDropout < 1)) throw new IllegalArgumentException("tag dropout must lie in [0, 1), not " + tagDropout);
		if (keepTokens < 0) throw new IllegalArgumentException("keep_tokens must be >= 0, not " + keepTokens);
	}

	/** The dataset's captions as they are (e.g. for regularisation images, which must not get the trigger). */
	public static CaptionRules datasetCaptions() {
		return new CaptionRules(List.of(), false, null, null, ",", 0, false, 0, 0);
	}

	/** The dataset's captions with the placeholder inserted (kept, replacing {@code replaceWord}, or put first). */
	public static CaptionRules datasetCaptions(String placeholder, String replaceWord) {
		return new CaptionRules(List.of(), false, placeholder, replaceWord, ",", 0, false, 0, 0);
	}

	/** Textual-inversion templates, the dataset's captions unused (diffusers' TI script). */
	public static CaptionRules preset(CaptionPreset preset, String placeholder) {
		return new CaptionRules(preset.templates(), false, placeholder, null, ",", 0, false, 0, 0);
	}

	/**
	 * The rules of a caption mode as the run's config names it: {@code object} or {@code style} (the templates, with
	 * the placeholder), {@code dataset} (the dataset's captions with the placeholder inserted; with a null
	 * placeholder, as they are).
	 */
	public static CaptionRules forMode(String mode, String placeholder, String replaceWord) {
		String m = mode == null ? "" : mode.strip().toLowerCase(java.util.Locale.ROOT);
		return switch (m) {
			case "object", "style" -> preset(CaptionPreset.parse(m), placeholder);
			case "dataset" -> datasetCaptions(placeholder, replaceWord);
			default -> throw new IllegalArgumentException("unknown caption mode '" + mode + "': use dataset, object or style");
		};
	}

	public CaptionRules withKeepDatasetCaptions(boolean keep) {
		return new CaptionRules(templates, keep, placeholder, replaceWord, separator, captionDropout, shuffleTags, keepTokens, tagDropout);
	}

	public CaptionRules withCaptionDropout(double p) {
		return new CaptionRules(templates, keepDatasetCaptions, placeholder, replaceWord, separator, p, shuffleTags, keepTokens, tagDropout);
	}

	public CaptionRules withShuffle(boolean shuffle, int keep) {
		return new CaptionRules(templates, keepDatasetCaptions, placeholder, replaceWord, separator, captionDropout, shuffle, keep, tagDropout);
	}

	public CaptionRules withTagDropout(double p) {
		return new CaptionRules(templates, keepDatasetCaptions, placeholder, replaceWord, separator, captionDropout, shuffleTags, keepTokens, p);
	}

	public CaptionRules withSeparator(String s) {
		return new CaptionRules(templates, keepDatasetCaptions, placeholder, replaceWord, s, captionDropout, shuffleTags, keepTokens, tagDropout);
	}

	/** Whether the dataset's captions are read at all. */
	public boolean usesDatasetCaptions() {
		return templates.isEmpty() || keepDatasetCaptions;
	}
}
