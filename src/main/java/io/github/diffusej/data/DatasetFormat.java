package io.github.diffusej.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The on-disk dataset formats DiffuseJ writes and reads. */
public enum DatasetFormat {

	/** invoke-training {@code IMAGE_CAPTION_JSONL_DATASET}: {@code data.jsonl} lines {"image", "text", "mask"?}. */
	INVOKE_JSONL("invoke-jsonl", "data.jsonl"),
	/** invoke-training {@code IMAGE_CAPTION_DIR_DATASET} and kohya: {@code x.png} beside {@code x.txt}. */
	CAPTION_DIR("caption-dir", null),
	/** diffusers / Hugging Face ImageFolder: {@code metadata.jsonl} lines {"file_name", "text"}. */
	DIFFUSERS_METADATA("diffusers", "metadata.jsonl");

	private final String id;
	private final String indexFile;

	DatasetFormat(String id, String indexFile) {
		this.id = id;
		this.indexFile = indexFile;
	}

	/** The short name used by the CLI, the commands and dataset.json. */
	public String id() {
		return id;
	}

	/** The index file name inside a split folder, or null where captions live in side files. */
	public String indexFile() {
		return indexFile;
	}

	/** Parses a short name ({@code invoke-jsonl}) or an enum name ({@code INVOKE_JSONL}), case-insensitively. */
	public static DatasetFormat parse(String name) {
		String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
		for (DatasetFormat f : values()) {
			if (f.id.equals(n) || f.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(n)) return f;
		}
		throw new IllegalArgumentException("Unknown dataset format '" + name + "'; known: "
			+ Arrays.stream(values()).map(DatasetFormat::id).collect(Collectors.joining(", ")));
	}
}
