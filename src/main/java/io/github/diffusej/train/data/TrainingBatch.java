package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetItem;

import java.util.List;

/**
 * One batch, ready for the trainer: everything index for index with {@code batch.samples()}.
 *
 * @param batch the plan's batch (epoch, index, bucket, samples)
 * @param items the dataset item of each sample
 * @param placements how each image was resized, cropped and flipped (for latent-cache keys and size conditioning)
 * @param captions the caption of each sample for this step
 * @param pixels [B, 3, H, W] in [-1, 1]; null when the batch was loaded without pixels (all latents cached)
 * @param masks [B, H, W] in [0, 1]; samples without a mask are all 1; null when no sample of the batch has a mask
 */
public record TrainingBatch(BatchPlan.Batch batch, List<DatasetItem> items, List<Placement> placements,
	List<String> captions, float[] pixels, float[] masks)
{

	public TrainingBatch {
		items = List.copyOf(items);
		placements = List.copyOf(placements);
		captions = List.copyOf(captions);
		int b = batch.size();
		if (items.size() != b || placements.size() != b || captions.size() != b) throw new IllegalArgumentException(
			"a batch of " + b + " needs as many items, placements and captions");
		int n = batch.bucket().width() * batch.bucket().height();
		if (pixels != null && pixels.length != b * 3 * n) throw new IllegalArgumentException("pixels hold " + pixels.length
			+ " values, not " + b + " x 3 x " + n);
		if (masks != null && masks.length != b * n) throw new IllegalArgumentException("masks hold " + masks.length
			+ " values, not " + b + " x " + n);
	}

	public int size() {
		return batch.size();
	}

	public int width() {
		return batch.bucket().width();
	}

	public int height() {
		return batch.bucket().height();
	}

	/** Whether sample {@code i} is a regularisation (class) example, for its loss weight. */
	public boolean regularisation(int i) {
		return batch.samples().get(i).regularisation();
	}

	/** The masks on the latent grid, [B, H/factor, W/factor], or null without masks. */
	public float[] latentMasks(int factor) {
		if (masks == null) return null;
		int n = width() * height();
		int ln = n / (factor * factor);
		float[] out = new float[size() * ln];
		for (int i = 0; i < size(); i++) {
			float[] one = new float[n];
			System.arraycopy(masks, i * n, one, 0, n);
			System.arraycopy(Masks.toLatentGrid(one, width(), height(), factor), 0, out, i * ln, ln);
		}
		return out;
	}
}
