package io.github.diffusej.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A dataset as read from disk: the training items, the validation items (empty where there is no split) and, for
 * datasets DiffuseJ built, the manifest.
 *
 * @param location what was read: a dataset folder, a {@code .jsonl} file or a caption folder
 * @param format the format the captions were read from
 * @param columns column names (for jsonl formats)
 * @param items training items, in file order, with absolute paths
 * @param validation validation items
 * @param manifest {@code dataset.json} for DiffuseJ datasets, else null
 */
public record Dataset(Path location, DatasetFormat format, JsonlColumns columns, List<DatasetItem> items,
	List<DatasetItem> validation, DatasetManifest manifest)
{

	public Dataset {
		items = List.copyOf(items);
		validation = validation == null ? List.of() : List.copyOf(validation);
	}

	/** Training then validation items. */
	public List<DatasetItem> all() {
		List<DatasetItem> all = new ArrayList<>(items);
		all.addAll(validation);
		return all;
	}

	public int size() {
		return items.size() + validation.size();
	}

	/** Whether this is a dataset DiffuseJ built (it has a {@code dataset.json}). */
	public boolean isDiffuseJ() {
		return manifest != null;
	}
}
