package io.github.diffusej.data;

/**
 * Column names of a jsonl dataset. invoke-training lets users choose them ({@code image_column},
 * {@code caption_column}); diffusers ImageFolder uses {@code file_name} and {@code text}.
 *
 * @param image column holding the image path (absolute, or relative to the jsonl file)
 * @param caption column holding the caption
 * @param mask column holding an optional mask path; null for none
 */
public record JsonlColumns(String image, String caption, String mask) {

	public static final JsonlColumns INVOKE = new JsonlColumns("image", "text", "mask");
	public static final JsonlColumns DIFFUSERS = new JsonlColumns("file_name", "text", null);

	public JsonlColumns {
		if (image == null || image.isBlank()) throw new IllegalArgumentException("image column name is empty");
		if (caption == null || caption.isBlank()) throw new IllegalArgumentException("caption column name is empty");
		if (mask != null && mask.isBlank()) mask = null;
	}
}
