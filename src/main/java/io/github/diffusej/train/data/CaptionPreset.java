package io.github.diffusej.train.data;

import java.util.List;

/**
 * The caption templates of the textual-inversion reference script, diffusers
 * {@code examples/textual_inversion/textual_inversion.py} ({@code imagenet_templates_small} and
 * {@code imagenet_style_templates_small}, from the original textual-inversion code), in their order and with their
 * repetitions (two style templates appear twice, so a uniform choice favours them as the reference does).
 * {@code {}} marks where the placeholder goes.
 */
public enum CaptionPreset {

	/** Learn an object: {@code imagenet_templates_small} (27 templates). */
	OBJECT(List.of(
		"a photo of a {}",
		"a rendering of a {}",
		"a cropped photo of the {}",
		"the photo of a {}",
		"a photo of a clean {}",
		"a photo of a dirty {}",
		"a dark photo of the {}",
		"a photo of my {}",
		"a photo of the cool {}",
		"a close-up photo of a {}",
		"a bright photo of the {}",
		"a cropped photo of a {}",
		"a photo of the {}",
		"a good photo of the {}",
		"a photo of one {}",
		"a close-up photo of the {}",
		"a rendition of the {}",
		"a photo of the clean {}",
		"a rendition of a {}",
		"a photo of a nice {}",
		"a good photo of a {}",
		"a photo of the nice {}",
		"a photo of the small {}",
		"a photo of the weird {}",
		"a photo of the large {}",
		"a photo of a cool {}",
		"a photo of a small {}")),

	/** Learn a style: {@code imagenet_style_templates_small} (19 templates). */
	STYLE(List.of(
		"a painting in the style of {}",
		"a rendering in the style of {}",
		"a cropped painting in the style of {}",
		"the painting in the style of {}",
		"a clean painting in the style of {}",
		"a dirty painting in the style of {}",
		"a dark painting in the style of {}",
		"a picture in the style of {}",
		"a cool painting in the style of {}",
		"a close-up painting in the style of {}",
		"a bright painting in the style of {}",
		"a cropped painting in the style of {}",
		"a good painting in the style of {}",
		"a close-up painting in the style of {}",
		"a rendition in the style of {}",
		"a nice painting in the style of {}",
		"a small painting in the style of {}",
		"a weird painting in the style of {}",
		"a large painting in the style of {}"));

	private final List<String> templates;

	CaptionPreset(List<String> templates) {
		this.templates = templates;
	}

	public List<String> templates() {
		return templates;
	}

	/** {@code object} or {@code style}, any case (the reference's {@code --learnable_property}). */
	public static CaptionPreset parse(String s) {
		for (CaptionPreset p : values()) {
			if (p.name().equalsIgnoreCase(s.trim())) return p;
		}
		throw new IllegalArgumentException("unknown caption preset '" + s + "': use object or style");
	}
}
