package io.github.diffusej.train.data;

import io.github.diffusej.Rng;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@link BatchPlan.Batch} into a {@link TrainingBatch}: placements, captions, pixels and masks of its
 * samples, drawing from the two streams the caller gives (one for augmentation, one for captions; see
 * {@link BatchPlan#streamFor} for streams that need no saved state to resume).
 */
public final class BatchLoader {

	/**
	 * One side of the data.
	 *
	 * @param items the dataset items
	 * @param sizes their stored sizes ({@link Buckets.Assignment#sizes()})
	 * @param captions their caption rules (regularisation items usually keep their own captions, without the trigger)
	 */
	public record Source(List<DatasetItem> items, List<ImageSize> sizes, CaptionMaker captions) {

		public Source {
			items = List.copyOf(items);
			sizes = List.copyOf(sizes);
			if (items.size() != sizes.size()) throw new IllegalArgumentException(items.size() + " items but " + sizes.size() + " sizes");
		}
	}

	private final Source training;
	private final Source regularisation;
	private final CropMode crop;
	private final boolean randomFlip;

	/**
	 * @param regularisation null without regularisation items
	 * @param crop centre or random crops
	 * @param randomFlip flip each example with probability 1/2
	 */
	public BatchLoader(Source training, Source regularisation, CropMode crop, boolean randomFlip) {
		this.training = training;
		this.regularisation = regularisation;
		this.crop = crop;
		this.randomFlip = randomFlip;
	}

	public DatasetItem item(BatchPlan.Sample s) {
		return source(s).items().get(s.index());
	}

	private Source source(BatchPlan.Sample s) {
		if (!s.regularisation()) return training;
		if (regularisation == null) throw new IllegalArgumentException("a regularisation sample, but no regularisation items");
		return regularisation;
	}

	/** The placement of each sample, in order (per sample: crop offset, then flip; see {@link Placement#choose}). */
	public List<Placement> place(BatchPlan.Batch batch, Rng augment) {
		List<Placement> out = new ArrayList<>(batch.size());
		for (BatchPlan.Sample s : batch.samples()) {
			out.add(Placement.choose(source(s).sizes().get(s.index()), batch.bucket(), crop, randomFlip, augment));
		}
		return out;
	}

	/** The caption of each sample for this step, in order. */
	public List<String> captions(BatchPlan.Batch batch, Rng rng) throws DatasetException {
		List<String> out = new ArrayList<>(batch.size());
		for (BatchPlan.Sample s : batch.samples()) out.add(source(s).captions().caption(item(s), rng));
		return out;
	}

	/**
	 * Placements, captions, masks and (when {@code withPixels}) pixels of a batch.
	 *
	 * @param withPixels false when the trainer takes every sample's latents from its cache (it then decodes only the
	 *     misses with {@link ImagePreparer#prepare(DatasetItem, Placement)})
	 */
	public TrainingBatch load(BatchPlan.Batch batch, Rng augment, Rng captionRng, boolean withPixels) throws DatasetException {
		List<Placement> placements = place(batch, augment);
		List<String> captions = captions(batch, captionRng);
		List<DatasetItem> items = new ArrayList<>(batch.size());
		for (BatchPlan.Sample s : batch.samples()) items.add(item(s));
		int n = batch.bucket().width() * batch.bucket().height();
		boolean anyMask = items.stream().anyMatch(DatasetItem::hasMask);
		float[] pixels = withPixels ? new float[batch.size() * 3 * n] : null;
		float[] masks = anyMask ? new float[batch.size() * n] : null;
		for (int i = 0; i < items.size(); i++) {
			DatasetItem it = items.get(i);
			float[] m;
			if (withPixels) {
				PreparedImage img = ImagePreparer.prepare(it, placements.get(i));
				System.arraycopy(img.pixels(), 0, pixels, i * 3 * n, 3 * n);
				m = img.mask();
			}
			else {
				m = ImagePreparer.mask(it, placements.get(i));
			}
			if (masks != null) {
				if (m != null) System.arraycopy(m, 0, masks, i * n, n);
				else Arrays.fill(masks, i * n, (i + 1) * n, 1f);
			}
		}
		return new TrainingBatch(batch, items, placements, captions, pixels, masks);
	}
}
