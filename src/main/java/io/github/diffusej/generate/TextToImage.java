package io.github.diffusej.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.NoiseSource;
import io.github.diffusej.schedule.Sampler;
import io.github.diffusej.schedule.SamplerKind;
import io.github.diffusej.schedule.SchedulerConfig;
import io.github.diffusej.tokenize.ClipTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * The text-to-image pipeline (diffusers' {@code StableDiffusionPipeline}): prompt and negative prompt are encoded
 * (75-token windows, clip skip), seeded Java noise is denoised by the chosen sampler with classifier-free guidance
 * ({@code uncond + s·(cond − uncond)}, negative prompt first in the batch as diffusers does), and the VAE decodes
 * {@code latents / scaling_factor} to RGB. Legend: B batch, C latent channels, h/w latent size, T tokens, D width.
 */
public final class TextToImage {

	/** Progress per denoising step, plus each image as soon as it is decoded (live previews). */
	public interface Listener extends ProgressListener {

		default void imageDone(int index, GeneratedImage image) {}

		static Listener of(ProgressListener p) {
			return new Listener() {

				@Override
				public void progress(int done, int total, String message) {
					p.progress(done, total, message);
				}

				@Override
				public boolean isCancelled() {
					return p.isCancelled();
				}
			};
		}
	}

	private TextToImage() {}

	/**
	 * Loads the request's model on {@code device}, applies its embeddings and LoRAs, and generates
	 * {@code request.count()} images.
	 */
	public static List<GeneratedImage> generate(GenerationRequest request, Device device, Listener listener,
		Consumer<String> log) throws IOException
	{
		listener.progress(0, -1, "Loading " + request.model());
		try (StableDiffusionModel model = load(request, device, log)) {
			prepare(model, request);
			return generate(model, request, listener);
		}
	}

	/** Loads the request's model (and tokenizer) on {@code device}: float16 weights on a GPU, float32 otherwise. */
	public static StableDiffusionModel load(GenerationRequest request, Device device, Consumer<String> log)
		throws IOException
	{
		Engines.prepareThread();
		LoadOptions options = LoadOptions.defaults().withTokenizerDir(request.tokenizer())
			.withPredictionType(request.predictionType());
		return StableDiffusionModel.load(request.model(), options, device, StableDiffusionModel.defaultDtype(device), log);
	}

	/** Adds the request's embeddings and applies its LoRAs to an already loaded model. */
	public static void prepare(StableDiffusionModel model, GenerationRequest request) throws IOException {
		for (GenerationRequest.EmbeddingRef e : request.embeddings()) {
			var emb = EmbeddingFile.read(e.file(), e.token());
			if (model.embeddings().stream().noneMatch(o -> o.token().equals(emb.token()))) model.addEmbedding(emb);
		}
		LoraWeights.apply(model, request.loras());
	}

	/** Generates with a loaded model; images are reported to the listener as they are made. */
	public static List<GeneratedImage> generate(StableDiffusionModel model, GenerationRequest request, Listener listener) {
		Engines.prepareThread();
		GenerationRequest r = resolve(model, request);
		int multiple = 8 * model.vaeScale();
		if (r.width() % multiple != 0 || r.height() % multiple != 0) throw new IllegalArgumentException(
			"width and height must be multiples of " + multiple + " (8 x the VAE factor " + model.vaeScale() +
				") for this model, not " + r.width() + "x" + r.height());
		GenerationLimits.check(r, model.unet().config(), model.vae().config(), 0, true,
			model.dtype().getNumOfBytes(), model.device());
		SamplerKind kind = SamplerKind.fromLabel(r.sampler());
		SchedulerConfig schedule = model.schedulerConfig().prediction() == r.predictionType() ? model.schedulerConfig()
			: model.schedulerConfig().withPredictionType(r.predictionType());
		List<GeneratedImage> out = new ArrayList<>();
		try (NDManager run = model.manager().newSubManager()) {
			boolean cfg = r.guidance() > 1.0;
			NDArray context = encodePrompts(model, run, r.prompt(), r.negativePrompt(), r.clipSkip(), r.longPrompts(), cfg);
			if (!NonFinite.allFinite(context)) throw NonFinite.inPromptEncoding(model, r);
			int h = r.height() / model.vaeScale(), w = r.width() / model.vaeScale(), c = model.latentChannels();
			for (int i = 0; i < r.count(); i++) {
				long seed = r.seed() + i;
				Random noiseRng = new Random(seed ^ 0x5DEECE66DL);
				Sampler sampler = kind.create(schedule, seededNoise(noiseRng));
				int index = i;
				try (NDManager img = run.newSubManager()) {
					NDArray x0 = img.create(SeededNoise.gaussian(seed, c * h * w), new Shape(1, c, h, w));
					NDArray result = denoise(model, sampler, x0, context, r.guidance(), r.steps(), (step, total, latents) -> {
						if (!NonFinite.allFinite(latents)) throw NonFinite.inLatents(model, r, seed, step, total);
						if (listener.isCancelled()) throw new CancellationException("generation cancelled");
						listener.progress(index * total + step, r.count() * total,
							"Image " + (index + 1) + "/" + r.count() + ", step " + step + "/" + total);
					});
					float[] chw = decode(model, result);
					if (!NonFinite.allFinite(chw)) throw NonFinite.inDecodedImage(model, r, seed);
					GeneratedImage g = new GeneratedImage(r.width(), r.height(), GeneratedImage.toRgb(chw, r.width(), r.height()),
						seed, ResultStack.label(seed, r.prompt()), r.parametersText(seed), r.settings(seed));
					out.add(g);
					listener.imageDone(i, g);
				}
			}
		}
		return out;
	}

	/**
	 * The request as this model runs it: a size of 0 is the model's native size ({@code sample_size} x the VAE
	 * factor) and the prediction type is the one the model's scheduler uses, so PNG metadata says what was done.
	 */
	public static GenerationRequest resolve(StableDiffusionModel model, GenerationRequest r) {
		int side = GenerationLimits.nativeSize(model.unet().config(), model.vae().config());
		return r.resolved(side, side, model.schedulerConfig().prediction());
	}

	/** Java-seeded noise for stochastic samplers, so Euler a is reproducible across machines too. */
	static NoiseSource seededNoise(Random rng) {
		return (manager, shape, dtype) -> {
			float[] v = new float[(int) shape.size()];
			for (int k = 0; k < v.length; k++) v[k] = (float) rng.nextGaussian();
			return manager.create(v, shape).toType(dtype, false);
		};
	}

	/**
	 * The text context [B, T, D]: with guidance the batch is [negative; positive] (B = 2), otherwise the positive
	 * prompt alone. Both are padded to the same number of 77-token windows.
	 */
	public static NDArray encodePrompts(StableDiffusionModel model, NDManager manager, String prompt, String negative,
		int clipSkip, PromptChunks.LongPrompts mode, boolean guidance)
	{
		ClipTokenizer tok = model.tokenizer();
		String p = model.expandTriggers(prompt), n = model.expandTriggers(negative);
		List<long[]> pos = PromptChunks.windows(tok, p, mode, 1);
		List<long[]> neg = guidance ? PromptChunks.windows(tok, n, mode, pos.size()) : List.of();
		if (neg.size() > pos.size()) pos = PromptChunks.windows(tok, p, mode, neg.size());
		try (NDManager scope = manager.newSubManager()) {
			NDArray cond = encodeWindows(model, scope, pos, clipSkip);
			NDArray context = guidance ? NDArrays.concat(new NDList(encodeWindows(model, scope, neg, clipSkip), cond), 0)
				: cond;
			context.attach(manager); // only the result outlives the encoder's temporaries
			return context;
		}
	}

	/** Windows [k x 77] -> one sequence [1, k·77, D]. A1111's "clip skip N" = diffusers' clip_skip N − 1. */
	static NDArray encodeWindows(StableDiffusionModel model, NDManager manager, List<long[]> windows, int clipSkip) {
		int len = windows.get(0).length;
		long[] flat = new long[windows.size() * len];
		for (int i = 0; i < windows.size(); i++) System.arraycopy(windows.get(i), 0, flat, i * len, len);
		NDArray ids = manager.create(flat, new Shape(windows.size(), len));
		NDArray e = model.textEncoder().encode(ids, Math.max(0, clipSkip - 1)); // [k, 77, D]
		return e.reshape(1, -1, e.getShape().get(2));
	}

	/** Receives (steps done, steps in all, current latents) after each step; may throw to cancel. */
	@FunctionalInterface
	public interface StepCallback {
		void step(int done, int total, NDArray latents);
	}

	/**
	 * Denoises {@code noise} [1, C, h, w] (unit variance; scaled by the sampler's initial sigma here) under
	 * {@code context} ([2, T, D] with guidance, else [1, T, D]). Each step runs in its own scope so memory stays
	 * flat; the result belongs to {@code noise}'s manager.
	 */
	public static NDArray denoise(StableDiffusionModel model, Sampler sampler, NDArray noise, NDArray context,
		double guidance, int steps, StepCallback callback)
	{
		NDManager owner = noise.getManager();
		sampler.setTimesteps(steps);
		double[] ts = sampler.timesteps();
		boolean cfg = context.getShape().get(0) == 2;
		DataType compute = model.dtype();
		NDArray x = noise.mul(sampler.initNoiseSigma());
		NDArray prev;
		for (int i = 0; i < ts.length; i++) {
			try (NDManager step = owner.newSubManager()) {
				x.tempAttach(step);
				NDArray in = sampler.scaleModelInput(x, i);
				NDArray batch = cfg ? NDArrays.concat(new NDList(in, in), 0) : in;
				NDArray eps = model.unet().forward(batch.toType(compute, false), ts[i], context.toType(compute, false))
					.toType(x.getDataType(), false);
				if (cfg) {
					NDList parts = eps.split(2, 0);
					NDArray uncond = parts.get(0), cond = parts.get(1);
					eps = uncond.add(cond.sub(uncond).mul(guidance));
				}
				NDArray next = sampler.step(eps, i, x);
				next.attach(owner);
				prev = x;
				x = next;
			}
			prev.close(); // back in the owner after the scope closed; no longer needed
			callback.step(i + 1, ts.length, x);
		}
		return x;
	}

	/** Latents [1, C, h, w] -> decoded image [3, H, W] in [-1, 1] (diffusers' {@code vae.decode(x / scaling)}). */
	public static float[] decode(StableDiffusionModel model, NDArray latents) {
		try (NDManager scope = latents.getManager().newSubManager()) {
			NDArray z = latents.div(model.vae().scalingFactor());
			z.attach(scope);
			// Decode in float32 even with half weights: the SD VAE overflows in fp16 (diffusers' force_upcast).
			NDArray img = model.vae().decode(z.toType(DataType.FLOAT32, false));
			img.attach(scope);
			return img.toFloatArray();
		}
	}
}
