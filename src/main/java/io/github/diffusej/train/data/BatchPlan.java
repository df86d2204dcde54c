package io.github.diffusej.train.data;

import io.github.diffusej.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The order of the training examples, epoch by epoch, as kohya's bucketed datasets make it
 * ({@code BaseDataset.shuffle_buckets}): every example of an epoch is put in its image's bucket, each bucket is
 * shuffled and cut into batches of {@code batchSize} (a bucket's last, partial batch is kept), and the order of all
 * batches is shuffled. Every batch therefore holds images of one size.
 *
 * <p><b>Exact resume.</b> The plan of epoch {@code e} is a pure function of (seed, e, the inputs): a run resumed at
 * (epoch, batch) recomputes the same epoch and continues with the same batches, whatever happened before; nothing
 * needs saving but the position.
 *
 * <p><b>Repeats</b> (kohya's {@code num_repeats}): item {@code i} appears {@code repeats[i]} times per epoch.
 *
 * <p><b>Regularisation</b> (prior preservation; kohya's {@code reg_data_dir}): each epoch holds as many
 * regularisation examples as training examples (repeats counted). They are taken from an endless sequence of
 * shuffled passes over the regularisation items, pass {@code c} shuffled by its own stream, epoch {@code e} using
 * positions {@code [e*N, (e+1)*N)}: every regularisation item is used equally often over a run, in a random order.
 * (kohya fixes the repetition of each regularisation image once, so with more regularisation images than training
 * images some are never used.) Regularisation examples go to their own images' buckets and share batches with
 * training examples of the same bucket; {@link Sample#regularisation} tells the loss which weight to use.
 *
 * <p>With regularisation images whose buckets differ, the number of batches may differ from epoch to epoch
 * ({@link #batchCount(int)}, {@link #locate(long)}); without it, it is the same for all.
 */
public final class BatchPlan {

	/**
	 * One example of a batch.
	 *
	 * @param index index into the training items, or into the regularisation items when {@code regularisation}
	 * @param regularisation whether this is a regularisation (class) example
	 */
	public record Sample(int index, boolean regularisation) {}

	/**
	 * One batch: examples that all go to {@code bucket}.
	 *
	 * @param epoch the epoch (0-based)
	 * @param index the batch's position in its epoch (0-based)
	 * @param bucket the common size
	 * @param samples 1 to {@code batchSize} examples
	 */
	public record Batch(int epoch, int index, Bucket bucket, List<Sample> samples) {

		public Batch {
			samples = List.copyOf(samples);
		}

		public int size() {
			return samples.size();
		}
	}

	/** Where the batch number {@code batchesDone} (0-based, counted from the start of the run) lies. */
	public record Position(int epoch, int batch) {}

	private final List<Bucket> itemBuckets;
	private final int[] repeats;
	private final List<Bucket> regBuckets;
	private final int batchSize;
	private final long seed;
	private final int samplesPerEpoch;
	private List<Batch> cached;
	private int cachedEpoch = -1;

	/**
	 * @param itemBuckets the bucket of each training item
	 * @param repeats examples per epoch of each item (each >= 1); null: 1 for all
	 * @param regularisationBuckets the bucket of each regularisation item; empty or null: none
	 * @param batchSize examples per batch
	 * @param seed the run's seed
	 */
	public BatchPlan(List<Bucket> itemBuckets, int[] repeats, List<Bucket> regularisationBuckets, int batchSize, long seed) {
		if (itemBuckets.isEmpty()) throw new IllegalArgumentException("no training items");
		if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
		this.itemBuckets = List.copyOf(itemBuckets);
		if (repeats == null) {
			repeats = new int[itemBuckets.size()];
			Arrays.fill(repeats, 1);
		}
		if (repeats.length != itemBuckets.size()) throw new IllegalArgumentException(repeats.length + " repeats for "
			+ itemBuckets.size() + " items");
		long n = 0;
		for (int r : repeats) {
			if (r < 1) throw new IllegalArgumentException("repeats must be at least 1, not " + r);
			n += r;
		}
		if (n > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("too many examples per epoch: " + n);
		this.repeats = repeats.clone();
		this.regBuckets = regularisationBuckets == null ? List.of() : List.copyOf(regularisationBuckets);
		this.batchSize = batchSize;
		this.seed = seed;
		this.samplesPerEpoch = (int) n;
	}

	/** The same number of repeats for every item. */
	public BatchPlan(List<Bucket> itemBuckets, int repeats, List<Bucket> regularisationBuckets, int batchSize, long seed) {
		this(itemBuckets, filled(itemBuckets.size(), repeats), regularisationBuckets, batchSize, seed);
	}

	/** Every item once per epoch, no regularisation. */
	public BatchPlan(List<Bucket> itemBuckets, int batchSize, long seed) {
		this(itemBuckets, null, null, batchSize, seed);
	}

	/** Training examples per epoch (repeats counted; regularisation examples not). */
	public int samplesPerEpoch() {
		return samplesPerEpoch;
	}

	public boolean hasRegularisation() {
		return !regBuckets.isEmpty();
	}

	public int batchSize() {
		return batchSize;
	}

	/** The batches of epoch {@code e}, in training order. */
	public synchronized List<Batch> epoch(int e) {
		if (e < 0) throw new IllegalArgumentException("epoch must be >= 0, not " + e);
		if (e != cachedEpoch) {
			cached = plan(e);
			cachedEpoch = e;
		}
		return cached;
	}

	/** One batch. */
	public Batch batch(int epoch, int index) {
		List<Batch> b = epoch(epoch);
		if (index < 0 || index >= b.size()) throw new IndexOutOfBoundsException("epoch " + epoch + " has " + b.size()
			+ " batches, no batch " + index);
		return b.get(index);
	}

	/** Batches in epoch {@code e}. */
	public int batchCount(int e) {
		if (regBuckets.isEmpty()) {
			if (e < 0) throw new IllegalArgumentException("epoch must be >= 0, not " + e);
			return countBatches(trainingSamples());
		}
		return epoch(e).size();
	}

	/** The epoch and batch of the run's batch number {@code batchesDone} (0 = the first batch of epoch 0). */
	public Position locate(long batchesDone) {
		if (batchesDone < 0) throw new IllegalArgumentException("negative batch number " + batchesDone);
		if (regBuckets.isEmpty()) {
			int per = batchCount(0);
			return new Position(Math.toIntExact(batchesDone / per), (int) (batchesDone % per));
		}
		long left = batchesDone;
		int e = 0;
		while (true) {
			int c = batchCount(e);
			if (left < c) return new Position(e, (int) left);
			left -= c;
			e++;
		}
	}

	/** A random stream for one batch's use (augmentation, captions): a pure function of (seed, use, epoch, batch). */
	public static Rng streamFor(long seed, String use, int epoch, int batch) {
		return Rng.stream(seed, use + "/epoch " + epoch + "/batch " + batch);
	}

	private List<Sample> trainingSamples() {
		List<Sample> s = new ArrayList<>(samplesPerEpoch);
		for (int i = 0; i < repeats.length; i++) {
			for (int k = 0; k < repeats[i]; k++) s.add(new Sample(i, false));
		}
		return s;
	}

	private int countBatches(List<Sample> samples) {
		Map<Bucket, Integer> n = new TreeMap<>();
		for (Sample s : samples) n.merge(bucketOf(s), 1, Integer::sum);
		int c = 0;
		for (int k : n.values()) c += (k + batchSize - 1) / batchSize;
		return c;
	}

	private Bucket bucketOf(Sample s) {
		return s.regularisation() ? regBuckets.get(s.index()) : itemBuckets.get(s.index());
	}

	private List<Batch> plan(int e) {
		List<Sample> samples = trainingSamples();
		samples.addAll(regularisationSamples(e));
		// TreeMap: buckets in a fixed order, so the draws below do not depend on hashing
		Map<Bucket, List<Sample>> byBucket = new TreeMap<>();
		for (Sample s : samples) byBucket.computeIfAbsent(bucketOf(s), k -> new ArrayList<>()).add(s);
		Rng rng = Rng.stream(seed, "batch plan/epoch " + e);
		List<Bucket> bucketOfBatch = new ArrayList<>();
		List<List<Sample>> batches = new ArrayList<>();
		for (Map.Entry<Bucket, List<Sample>> en : byBucket.entrySet()) {
			List<Sample> in = en.getValue();
			int[] order = identity(in.size());
			rng.shuffle(order);
			for (int start = 0; start < order.length; start += batchSize) {
				List<Sample> b = new ArrayList<>(batchSize);
				for (int k = start; k < Math.min(order.length, start + batchSize); k++) b.add(in.get(order[k]));
				batches.add(b);
				bucketOfBatch.add(en.getKey());
			}
		}
		int[] order = identity(batches.size());
		rng.shuffle(order);
		List<Batch> out = new ArrayList<>(batches.size());
		for (int i = 0; i < order.length; i++) out.add(new Batch(e, i, bucketOfBatch.get(order[i]), batches.get(order[i])));
		return List.copyOf(out);
	}

	private List<Sample> regularisationSamples(int e) {
		int r = regBuckets.size();
		if (r == 0) return List.of();
		long n = samplesPerEpoch;
		long from = e * n;
		List<Sample> out = new ArrayList<>(samplesPerEpoch);
		long pass = -1;
		int[] perm = null;
		for (long g = from; g < from + n; g++) {
			long c = g / r;
			if (c != pass) {
				pass = c;
				perm = identity(r);
				Rng.stream(seed, "regularisation/pass " + c).shuffle(perm);
			}
			out.add(new Sample(perm[(int) (g % r)], true));
		}
		return out;
	}

	private static int[] filled(int n, int v) {
		int[] a = new int[n];
		Arrays.fill(a, v);
		return a;
	}

	private static int[] identity(int n) {
		int[] a = new int[n];
		for (int i = 0; i < n; i++) a[i] = i;
		return a;
	}
}
