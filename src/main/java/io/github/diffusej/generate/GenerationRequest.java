package io.github.diffusej.generate;

import io.github.diffusej.schedule.PredictionType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything that determines a set of generated images; the same request with the same engine reproduces them.
 *
 * @param model a diffusers folder or a single-file {@code .safetensors} checkpoint
 * @param tokenizer a tokenizer folder for single-file checkpoints (null: found beside the file)
 * @param sampler a sampler name as listed by the schedulers (e.g. {@code DDIM}, {@code DPM++ 2M Karras}); null or
 *        blank: {@link #DEFAULT_SAMPLER}
 * @param seed the first image's seed (0 or more); image {@code i} of the request uses {@code seed + i}
 * @param width image width in pixels, or 0 for the model's native size ({@code sample_size} x the VAE factor)
 * @param height image height in pixels, or 0 for the model's native size
 * @param count number of images
 * @param clipSkip 0 or 1 = last CLIP layer; 2 = penultimate (A1111's "Clip skip: 2")
 * @param loras LoRA/DoRA files and their weights
 * @param embeddings textual-inversion files and optional trigger overrides
 * @param predictionType what the UNet predicts, or null for the model's own (its scheduler config, the file's
 *        metadata, or the family default); SD 2.x single files need it when they are not 768-v models
 */
public record GenerationRequest(Path model, Path tokenizer, String prompt, String negativePrompt, int steps,
	double guidance, String sampler, long seed, int width, int height, int count, int clipSkip,
	PromptChunks.LongPrompts longPrompts, List<LoraRef> loras, List<EmbeddingRef> embeddings,
	PredictionType predictionType)
{

	/** The generation defaults of every face (CLI, Fiji command, macros, demo): defined here only. */
	public static final String DEFAULT_SAMPLER = "DPM++ 2M Karras";
	/** Denoising steps when none are given. */
	public static final int DEFAULT_STEPS = 25;
	/** Classifier-free guidance scale when none is given. */
	public static final double DEFAULT_GUIDANCE = 7.5;
	/** The largest width or height accepted at all; the memory estimate bounds real requests far below it. */
	public static final int MAX_SIDE = 1 << 20;
	/** The most images one request may ask for. */
	public static final int MAX_COUNT = 10_000;

	/** A LoRA file and its multiplier. */
	public record LoraRef(Path file, double weight) {}

	/** A textual-inversion file and the trigger to use (null: the file's own token or its name). */
	public record EmbeddingRef(Path file, String token) {}

	public GenerationRequest {
		if (prompt == null) prompt = "";
		if (negativePrompt == null) negativePrompt = "";
		if (sampler == null || sampler.isBlank()) sampler = DEFAULT_SAMPLER;
		if (longPrompts == null) longPrompts = PromptChunks.LongPrompts.CHUNK;
		loras = loras == null ? List.of() : List.copyOf(loras);
		embeddings = embeddings == null ? List.of() : List.copyOf(embeddings);
		if (model == null) throw new IllegalArgumentException("no model given: choose a diffusers folder or a .safetensors file");
		if (steps < 1 || steps > 1000) throw new IllegalArgumentException("steps must be 1..1000, not " + steps);
		if (!Double.isFinite(guidance) || guidance < 0) throw new IllegalArgumentException(
			"guidance scale must be a finite number >= 0, not " + guidance);
		if (count < 1 || count > MAX_COUNT) throw new IllegalArgumentException("number of images must be 1.." + MAX_COUNT
			+ ", not " + count);
		if (width != 0 && (width < 8 || width > MAX_SIDE) || height != 0 && (height < 8 || height > MAX_SIDE))
			throw new IllegalArgumentException("width and height must be 8.." + MAX_SIDE + " (or 0 for the model's "
				+ "native size), not " + width + "x" + height);
		if (clipSkip < 0 || clipSkip > 12) throw new IllegalArgumentException("clip skip must be 0..12, not " + clipSkip);
		if (seed < 0) throw new IllegalArgumentException("seed must be 0 or more, not " + seed
			+ " (-1 asks the faces for a random seed)");
		if (seed > Long.MAX_VALUE - (count - 1)) throw new IllegalArgumentException("seed " + seed + " with " + count
			+ " images would pass the largest seed " + Long.MAX_VALUE + " (image i uses seed + i); use a seed of at most "
			+ (Long.MAX_VALUE - (count - 1)));
		for (LoraRef l : loras)
			if (!Double.isFinite(l.weight())) throw new IllegalArgumentException("LoRA weight of " + l.file() + " is not finite");
	}

	/** The request without a prediction type override (the model's own is used). */
	public GenerationRequest(Path model, Path tokenizer, String prompt, String negativePrompt, int steps,
		double guidance, String sampler, long seed, int width, int height, int count, int clipSkip,
		PromptChunks.LongPrompts longPrompts, List<LoraRef> loras, List<EmbeddingRef> embeddings)
	{
		this(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed, width, height, count, clipSkip,
			longPrompts, loras, embeddings, null);
	}

	/** The request for image {@code i} alone (seed + i). */
	public GenerationRequest single(int i) {
		return new GenerationRequest(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed + i, width,
			height, 1, clipSkip, longPrompts, loras, embeddings, predictionType);
	}

	public GenerationRequest withPrompt(String p) {
		return new GenerationRequest(model, tokenizer, p, negativePrompt, steps, guidance, sampler, seed, width, height,
			count, clipSkip, longPrompts, loras, embeddings, predictionType);
	}

	public GenerationRequest withLoras(List<LoraRef> l) {
		return new GenerationRequest(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed, width,
			height, count, clipSkip, longPrompts, l, embeddings, predictionType);
	}

	/** The request with an explicit image size. */
	public GenerationRequest withSize(int w, int h) {
		return new GenerationRequest(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed, w, h,
			count, clipSkip, longPrompts, loras, embeddings, predictionType);
	}

	/** The request with a prediction type (null: the model's own). */
	public GenerationRequest withPredictionType(PredictionType p) {
		return new GenerationRequest(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed, width,
			height, count, clipSkip, longPrompts, loras, embeddings, p);
	}

	/**
	 * The request as a given model runs it: a size of 0 becomes the model's native size, and the prediction type
	 * the one the model uses, so that labels and PNG metadata say what was really done.
	 *
	 * @param nativeWidth the model's native width ({@code sample_size} x the VAE factor), likewise the height
	 */
	public GenerationRequest resolved(int nativeWidth, int nativeHeight, PredictionType modelPrediction) {
		return new GenerationRequest(model, tokenizer, prompt, negativePrompt, steps, guidance, sampler, seed,
			width == 0 ? nativeWidth : width, height == 0 ? nativeHeight : height, count, clipSkip, longPrompts, loras,
			embeddings, predictionType != null ? predictionType : modelPrediction);
	}

	/**
	 * The settings of one image in A1111's "parameters" text, which A1111, InvokeAI's importer and many image
	 * browsers read from PNG files.
	 */
	public String parametersText(long imageSeed) {
		StringBuilder sb = new StringBuilder(prompt);
		for (LoraRef l : loras) sb.append(" <lora:").append(stem(l.file())).append(':').append(fmt(l.weight())).append('>');
		sb.append('\n');
		if (!negativePrompt.isEmpty()) sb.append("Negative prompt: ").append(negativePrompt).append('\n');
		sb.append("Steps: ").append(steps).append(", Sampler: ").append(sampler).append(", CFG scale: ")
			.append(fmt(guidance)).append(", Seed: ").append(imageSeed).append(", Size: ").append(width).append('x')
			.append(height).append(", Model: ").append(stem(model));
		if (clipSkip > 1) sb.append(", Clip skip: ").append(clipSkip);
		if (predictionType != null) sb.append(", Prediction: ").append(predictionType.configName());
		for (EmbeddingRef e : embeddings) sb.append(", TI: ").append(stem(e.file()));
		sb.append(", Long prompts: ").append(longPrompts.name().toLowerCase(Locale.ROOT));
		sb.append(", Version: DiffuseJ");
		return sb.toString();
	}

	/** Every setting as a flat map, for the ImageJ image info and PNG text chunks. */
	public Map<String, String> settings(long imageSeed) {
		Map<String, String> m = new LinkedHashMap<>();
		m.put("prompt", prompt);
		m.put("negative_prompt", negativePrompt);
		m.put("model", model.toAbsolutePath().toString());
		if (tokenizer != null) m.put("tokenizer", tokenizer.toAbsolutePath().toString());
		m.put("sampler", sampler);
		m.put("steps", Integer.toString(steps));
		m.put("guidance_scale", fmt(guidance));
		m.put("seed", Long.toString(imageSeed));
		m.put("width", Integer.toString(width));
		m.put("height", Integer.toString(height));
		m.put("clip_skip", Integer.toString(clipSkip));
		if (predictionType != null) m.put("prediction_type", predictionType.configName());
		m.put("long_prompts", longPrompts.name().toLowerCase(Locale.ROOT));
		for (int i = 0; i < loras.size(); i++)
			m.put("lora_" + i, loras.get(i).file().toAbsolutePath() + " @ " + fmt(loras.get(i).weight()));
		for (int i = 0; i < embeddings.size(); i++) {
			EmbeddingRef e = embeddings.get(i);
			m.put("embedding_" + i, e.file().toAbsolutePath() + (e.token() != null ? " as " + e.token() : ""));
		}
		return m;
	}

	static String stem(Path p) {
		String n = p.getFileName().toString();
		int dot = n.lastIndexOf('.');
		return dot > 0 && !java.nio.file.Files.isDirectory(p) ? n.substring(0, dot) : n;
	}

	static String fmt(double d) {
		return d == Math.rint(d) && Math.abs(d) < 1e9 ? Long.toString((long) d) : Double.toString(d);
	}
}
