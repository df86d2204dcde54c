package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.train.data.BatchLoader;
import io.github.diffusej.train.data.BatchPlan;
import io.github.diffusej.train.data.Bucket;
import io.github.diffusej.train.data.Buckets;
import io.github.diffusej.train.data.CaptionPreset;
import io.github.diffusej.train.data.CaptionRules;
import io.github.diffusej.train.data.CaptionMaker;
import io.github.diffusej.train.data.CropMode;
import io.github.diffusej.train.data.ImagePreparer;
import io.github.diffusej.train.data.ImageSize;
import io.github.diffusej.train.data.LatentCache;
import io.github.diffusej.train.data.LatentKey;
import io.github.diffusej.train.data.CachedLatents;
import io.github.diffusej.train.data.Masks;
import io.github.diffusej.train.data.Placement;
import io.github.diffusej.train.data.PreparedImage;
import io.github.diffusej.train.optim.Scopes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The run's data as step inputs: aspect buckets, the epoch plan, placements (crop, flip), captions, VAE latents
 * (cached or not), masks, noise and timesteps. Every random choice of micro-batch {@code (epoch e, batch i)} comes
 * from streams derived from {@code (seed, use, e, i)} alone ({@link BatchPlan#streamFor}), so the data position
 * (micro-batches consumed) is all a checkpoint needs to continue exactly; caching latents changes nothing either,
 * since each image is encoded alone in float32 whether its posterior is cached or not.
 */
public final class TrainingData {

	private final StableDiffusionModel model;
	private final TrainConfig config;
	private final long seed;
	private final Buckets buckets;
	private final BatchPlan plan;
	private final BatchLoader loader;
	private final LatentCache cache;
	private final List<DatasetItem> validationItems;
	private final List<ImageSize> validationSizes;
	private final CaptionMaker validationCaptions;
	private final int resolution;
	private final String firstCaption;
	private final Map<String, NDArray> contexts = new LinkedHashMap<>();
	private final NDManager contextManager;

	/** Builds the buckets and the plan; every image's size is read (not decoded) here, so a bad file fails early. */
	TrainingData(StableDiffusionModel model, TrainConfig config, Dataset dataset, Dataset regularization, Path runDir,
		String trigger, Consumer<String> log) throws IOException
	{
		this.model = model;
		this.config = config;
		this.seed = config.seed();
		TrainConfig.Data d = config.data();
		resolution = resolution(model, config);
		int step = d.bucketStep() > 0 ? d.bucketStep() : bucketStep(model);
		if (resolution % step != 0) throw new TrainingException("data.resolution " + resolution
			+ " is not a multiple of the bucket step " + step + " (VAE factor x UNet downsampling for this model)");
		int min = d.minBucketSide() > 0 ? d.minBucketSide() : Math.max(step, resolution / 2);
		int max = d.maxBucketSide() > 0 ? d.maxBucketSide() : resolution * 2;
		buckets = d.buckets() ? Buckets.enumerate(resolution, step, min, max) : Buckets.square(resolution, step);
		if (dataset.items().isEmpty()) throw new TrainingException(dataset.location() + ": the dataset has no training images");
		CaptionMaker captions = new CaptionMaker(captionRules(config, trigger));
		captions.check(dataset.items());
		Buckets.Assignment train = buckets.assignItems(dataset.items());
		Buckets.Assignment reg = regularization == null ? null : buckets.assignItems(regularization.items());
		int[] repeats = new int[dataset.items().size()];
		java.util.Arrays.fill(repeats, d.repeats());
		plan = new BatchPlan(train.buckets(), repeats, reg == null ? null : reg.buckets(), config.batchSize(), seed);
		BatchLoader.Source trainSource = new BatchLoader.Source(dataset.items(), train.sizes(), captions);
		BatchLoader.Source regSource = regularization == null ? null
			: new BatchLoader.Source(regularization.items(), reg.sizes(), new CaptionMaker(CaptionRules.datasetCaptions()));
		loader = new BatchLoader(trainSource, regSource, CropMode.valueOf(d.crop().toUpperCase(java.util.Locale.ROOT)), d.flip());
		String vae = vaeIdentity(model);
		cache = switch (d.cacheLatents()) {
			case "memory" -> LatentCache.inMemory(vae);
			case "disk" -> LatentCache.onDisk(runDir, vae);
			default -> null;
		};
		if (cache != null && d.crop().equals("random")) log.accept("note: latents are cached per crop position; with "
			+ "random crops most steps encode afresh (kohya refuses this combination; it is allowed here, only slower)");
		log.accept("buckets: " + train.counts() + (reg == null ? "" : "; regularisation images: " + regularization.items().size()));
		validationItems = dataset.validation();
		validationSizes = new ArrayList<>();
		for (DatasetItem it : validationItems) validationSizes.add(ImageSize.read(it.image()));
		validationCaptions = captions;
		firstCaption = captions.caption(dataset.items().get(0), Rng.stream(seed, "validation-prompt"));
		contextManager = model.manager().newSubManager();
	}

	/** The training side: the data's own resolution (the square budget), or the model's native size. */
	static int resolution(StableDiffusionModel model, TrainConfig config) {
		if (config.data().resolution() > 0) return config.data().resolution();
		Integer sample = model.unet().config().sampleSize();
		return (sample == null ? 64 : sample) * model.vaeScale();
	}

	/** Pixel multiple the UNet needs: the VAE factor times the UNet's total downsampling (64 for SD). */
	static int bucketStep(StableDiffusionModel model) {
		return model.vaeScale() * (1 << (model.unet().config().blocks() - 1));
	}

	private static CaptionRules captionRules(TrainConfig config, String trigger) {
		TrainConfig.Captions c = config.captions();
		String placeholder = c.trigger() != null ? c.trigger() : trigger;
		CaptionRules r = switch (c.mode()) {
			case "object" -> CaptionRules.preset(CaptionPreset.OBJECT, placeholder);
			case "style" -> CaptionRules.preset(CaptionPreset.STYLE, placeholder);
			default -> CaptionRules.datasetCaptions(placeholder, c.replaceWord());
		};
		return r.withCaptionDropout(c.dropout()).withShuffle(c.shuffleTags(), c.keepTags()).withTagDropout(c.tagDropout());
	}

	private static String vaeIdentity(StableDiffusionModel model) {
		StringBuilder sb = new StringBuilder(model.source().toAbsolutePath().toString());
		try {
			sb.append(" size=").append(Files.size(model.source())).append(" mtime=")
				.append(Files.getLastModifiedTime(model.source()).toMillis());
		}
		catch (IOException e) {
			sb.append(" (unreadable attributes)");
		}
		sb.append(" vae=").append(model.files().vae().weights().describe()).append(" scaling=")
			.append(model.vae().scalingFactor()).append(" encode=float32");
		return sb.toString();
	}

	public int resolution() {
		return resolution;
	}

	public Buckets buckets() {
		return buckets;
	}

	public BatchPlan plan() {
		return plan;
	}

	/** A caption made for the first training image, used as the default validation prompt. */
	public String exampleCaption() {
		return firstCaption;
	}

	public boolean hasValidationSplit() {
		return !validationItems.isEmpty();
	}

	/** Micro-batches in the first {@code epochs} epochs. */
	public long microBatches(int epochs) {
		long n = 0;
		for (int e = 0; e < epochs; e++) n += plan.batchCount(e);
		return n;
	}

	/** Where micro-batch number {@code index} (0-based, from the start of the run) lies: (epoch, batch). */
	public BatchPlan.Position locate(long index) {
		return plan.locate(index);
	}

	/**
	 * The step inputs of micro-batch {@code index} (0-based from the start of the run), in {@code scope}.
	 * {@code context} receives the precomputed text conditioning when the method's text encoder is frozen
	 * (else null is stored).
	 */
	public Inputs inputs(long index, NDManager scope, TrainingStep step, TrainingMethod method) throws IOException {
		BatchPlan.Position pos = plan.locate(index);
		BatchPlan.Batch batch = plan.batch(pos.epoch(), pos.batch());
		Rng augment = BatchPlan.streamFor(seed, "augment", pos.epoch(), pos.batch());
		Rng captionRng = BatchPlan.streamFor(seed, "captions", pos.epoch(), pos.batch());
		Rng noiseRng = BatchPlan.streamFor(seed, "noise", pos.epoch(), pos.batch());
		List<Placement> placements = loader.place(batch, augment);
		List<String> captions = loader.captions(batch, captionRng);
		List<DatasetItem> items = new ArrayList<>();
		for (BatchPlan.Sample s : batch.samples()) items.add(loader.item(s));
		double[] weights = null;
		if (plan.hasRegularisation()) {
			weights = new double[batch.size()];
			for (int i = 0; i < weights.length; i++)
				weights[i] = batch.samples().get(i).regularisation() ? config.data().regularizationWeight() : 1;
		}
		StepInputs in = build(items, placements, captions, weights, noiseRng, scope);
		NDArray ctx = method.trainsTextEncoder() ? null : cachedContexts(captions, in.ids(), step, scope);
		return new Inputs(in, ctx, captions, pos);
	}

	/** One micro-batch's inputs and where it came from. */
	public record Inputs(StepInputs step, NDArray context, List<String> captions, BatchPlan.Position position) {}

	/**
	 * The validation loss inputs of validation item {@code k}: a centred crop without flip, a caption and
	 * noise, timestep and posterior noise fixed for the whole run (streams of {@code (seed, k)}), so that equal
	 * weights give an equal loss.
	 */
	public Inputs validationInputs(int k, NDManager scope, TrainingStep step, TrainingMethod method) throws IOException {
		DatasetItem it = validationItems.get(k);
		Bucket b = buckets.nearest(validationSizes.get(k));
		Placement p = Placement.centred(validationSizes.get(k), b, false);
		String caption = validationCaptions.caption(it, BatchPlan.streamFor(seed, "validation-captions", 0, k));
		StepInputs in = build(List.of(it), List.of(p), List.of(caption), null,
			BatchPlan.streamFor(seed, "validation-noise", 0, k), scope);
		NDArray ctx = method.trainsTextEncoder() ? null : cachedContexts(List.of(caption), in.ids(), step, scope);
		return new Inputs(in, ctx, List.of(caption), new BatchPlan.Position(0, k));
	}

	public int validationCount() {
		return validationItems.size();
	}

	private StepInputs build(List<DatasetItem> items, List<Placement> placements, List<String> captions,
		double[] weights, Rng noiseRng, NDManager scope) throws IOException
	{
		int n = items.size();
		Bucket bucket = placements.get(0).bucket();
		int f = model.vaeScale();
		int c = model.latentChannels(), h = bucket.height() / f, w = bucket.width() / f;
		int per = c * h * w;
		float[] x0 = new float[n * per];
		boolean anyMask = items.stream().anyMatch(DatasetItem::hasMask);
		float[] masks = anyMask ? new float[n * h * w] : null;
		float scaling = (float) model.vae().scalingFactor();
		for (int i = 0; i < n; i++) {
			DatasetItem it = items.get(i);
			Placement p = placements.get(i);
			CachedLatents lat = latents(it, p, scope);
			float[] eps = noiseRng.gaussians(per);
			float[] z = lat.sample(eps);
			for (int j = 0; j < per; j++) x0[i * per + j] = z[j] * scaling;
			if (masks != null) {
				float[] m = it.hasMask() ? ImagePreparer.mask(it, p) : null;
				float[] lm = m == null ? ones(h * w) : Masks.toLatentGrid(m, bucket.width(), bucket.height(), f);
				System.arraycopy(lm, 0, masks, i * h * w, h * w);
			}
		}
		float[] noise = noiseRng.gaussians(n * per);
		double offset = config.loss().noiseOffset();
		if (offset > 0) {
			for (int i = 0; i < n; i++)
				for (int ch = 0; ch < c; ch++) {
					float o = (float) (offset * noiseRng.nextGaussian());
					for (int j = 0; j < h * w; j++) noise[i * per + ch * h * w + j] += o;
				}
		}
		int total = model.schedulerConfig().numTrainTimesteps();
		long[] t = new long[n];
		for (int i = 0; i < n; i++) t[i] = noiseRng.nextInt(total);
		long[] ids = new long[n * 77];
		for (int i = 0; i < n; i++)
			System.arraycopy(model.tokenizer().encode77(model.expandTriggers(captions.get(i))), 0, ids, i * 77, 77);
		Shape ls = new Shape(n, c, h, w);
		return new StepInputs(scope.create(x0, ls), scope.create(ids, new Shape(n, 77)), scope.create(noise, ls), t,
			masks == null ? null : scope.create(masks, new Shape(n, 1, h, w)), weights);
	}

	private static float[] ones(int n) {
		float[] o = new float[n];
		java.util.Arrays.fill(o, 1f);
		return o;
	}

	/** The VAE posterior of one image under a placement: from the cache, or encoded alone in float32. */
	private CachedLatents latents(DatasetItem item, Placement p, NDManager scope) throws IOException {
		LatentCache.Encoder encode = () -> encode(item, p, scope);
		if (cache == null) return encode.encode();
		LatentKey key = cache.key(item.image(), p);
		return cache.getOrCompute(key, encode);
	}

	private CachedLatents encode(DatasetItem item, Placement p, NDManager scope) throws DatasetException {
		PreparedImage img = ImagePreparer.prepare(item, p);
		try (NDManager s = scope.newSubManager(); GradMode ng = GradMode.noGrad()) {
			NDArray px = s.create(img.pixels(), new Shape(1, 3, img.height(), img.width()));
			AutoencoderKL vae = model.vae();
			LatentEncoder.Posterior post = LatentEncoder.encode(vae, px);
			NDArray mean = post.mean().toType(DataType.FLOAT32, false), std = post.std().toType(DataType.FLOAT32, false);
			mean.attach(s);
			std.attach(s);
			if (!isFinite(mean) || !isFinite(std)) throw new TrainingException(item.image()
				+ ": the VAE gives non-finite latents for this image (check the image and the model's VAE weights)");
			return new CachedLatents(mean.getShape().slice(1).getShape(), mean.toFloatArray(), std.toFloatArray());
		}
	}

	private static boolean isFinite(NDArray a) {
		float[] v = a.toFloatArray();
		for (float x : v)
			if (!Float.isFinite(x)) return false;
		return true;
	}

	/**
	 * The frozen text encoder's conditioning for the captions, each caption encoded once per run (batch 1) and
	 * kept; a batch is the concatenation. Bounded: at most 4096 distinct captions are kept.
	 */
	private NDArray cachedContexts(List<String> captions, NDArray ids, TrainingStep step, NDManager scope) {
		NDList parts = new NDList();
		for (int i = 0; i < captions.size(); i++) {
			String key = captions.get(i);
			NDArray c = contexts.get(key);
			if (c == null) {
				NDArray one = step.frozenContext(ids.get(i).reshape(1, -1));
				c = Scopes.keep(one.duplicate());
				c.attach(contextManager);
				if (contexts.size() >= 4096) contexts.remove(contexts.keySet().iterator().next()).close();
				contexts.put(key, c);
			}
			parts.add(c);
		}
		NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
		out.attach(scope);
		return out;
	}

	/** Latent cache counts, for the run's log. */
	public String cacheReport() {
		if (cache == null) return "latent cache off";
		LatentCache.Stats s = cache.stats();
		return "latent cache: " + s.hits() + " hits, " + s.misses() + " misses" + (s.discarded() > 0 ? ", "
			+ s.discarded() + " damaged entries recomputed" : "");
	}

	void close() {
		contexts.clear();
		contextManager.close();
	}
}
