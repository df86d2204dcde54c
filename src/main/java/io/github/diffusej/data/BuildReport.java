package io.github.diffusej.data;

import java.nio.file.Path;
import java.util.List;

/**
 * What a build did.
 *
 * @param dataset the finished dataset as read back from disk
 * @param itemsAdded items this build wrote
 * @param emptyTilesSkipped tiles left out as empty (low variance or mostly background)
 * @param emptyMasksSkipped items left out because no ROI fell on them while masks were asked for
 * @param nonFinitePixels NaN/Inf pixels met in 32-bit data (mapped to black, or white for +Inf)
 * @param skipped inputs that could not be used, and why
 * @param duplicates duplicates found by this build
 * @param notes other things the user should know
 */
public record BuildReport(Dataset dataset, int itemsAdded, int emptyTilesSkipped, int emptyMasksSkipped,
	long nonFinitePixels, List<DatasetManifest.Skipped> skipped, List<DatasetManifest.Duplicate> duplicates,
	List<String> notes)
{

	public Path outputDir() {
		return dataset.location();
	}

	/** A few lines for a log window or the console. */
	public String summary() {
		StringBuilder sb = new StringBuilder();
		sb.append("Dataset ").append(dataset.location()).append(": ").append(dataset.items().size())
			.append(" training and ").append(dataset.validation().size()).append(" validation items (")
			.append(itemsAdded).append(" added by this build)\n");
		if (emptyTilesSkipped > 0) sb.append("Empty tiles skipped: ").append(emptyTilesSkipped).append('\n');
		if (emptyMasksSkipped > 0) {
			sb.append("Items without any ROI (empty mask) skipped: ").append(emptyMasksSkipped).append('\n');
		}
		if (nonFinitePixels > 0) {
			sb.append("NaN/Inf pixels: ").append(nonFinitePixels).append(" (NaN and -Inf as black, +Inf as white)\n");
		}
		long removed = duplicates.stream().filter(DatasetManifest.Duplicate::removed).count();
		if (!duplicates.isEmpty()) {
			sb.append("Duplicates: ").append(duplicates.size()).append(" found, ").append(removed).append(" removed\n");
			for (DatasetManifest.Duplicate d : duplicates) {
				sb.append("  ").append(d.item()).append(d.exact() ? " = " : " ~ ").append(d.duplicateOf())
					.append(d.exact() ? " (identical)" : " (distance " + d.distance() + ")")
					.append(d.removed() ? ", removed" : "").append('\n');
			}
		}
		if (!skipped.isEmpty()) {
			sb.append("Skipped inputs: ").append(skipped.size()).append('\n');
			for (DatasetManifest.Skipped s : skipped) sb.append("  ").append(s.input()).append(": ").append(s.reason()).append('\n');
		}
		for (String n : notes) sb.append(n).append('\n');
		return sb.toString();
	}
}
