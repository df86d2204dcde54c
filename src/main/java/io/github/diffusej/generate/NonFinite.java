package io.github.diffusej.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Param;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * NaN/Inf checks of a generation and the message that names the likely source, so that a broken model, LoRA or
 * setting fails with an explanation instead of writing a black PNG and exiting 0. The checks are one reduction
 * per denoising step on the small latent tensor; the diagnosis (a scan of the weights) runs only after a failure.
 */
public final class NonFinite {

	private NonFinite() {}

	/** A generation that produced NaN or infinite values; the message names the likely source. */
	public static final class ResultException extends IllegalStateException {

		private static final long serialVersionUID = 1L;

		ResultException(String message) {
			super(message);
		}
	}

	/** True when {@code a} holds no NaN/Inf; the temporaries are closed at once (results join a's manager). */
	static boolean allFinite(NDArray a) {
		NDArray nan = a.isNaN();
		NDArray inf = a.isInfinite();
		NDArray bad = nan.logicalOr(inf);
		NDArray none = bad.none();
		try {
			return none.getBoolean();
		}
		finally {
			for (NDArray t : new NDArray[] {nan, inf, bad, none}) t.close();
		}
	}

	static boolean allFinite(float[] v) {
		for (float x : v) if (!Float.isFinite(x)) return false;
		return true;
	}

	static ResultException inPromptEncoding(StableDiffusionModel model, GenerationRequest r) {
		String weights = badWeight(model.textEncoder());
		String cause = weights != null ? "the text encoder weights (" + model.files().textEncoder().weights().describe()
			+ ") contain NaN/Inf, e.g. " + weights
			: !r.embeddings().isEmpty() ? "an embedding (" + r.embeddings().stream().map(e -> e.file().toString())
				.collect(Collectors.joining(", ")) + ") drives the text encoder out of range"
			: "the text encoder overflowed" + (model.dtype().getNumOfBytes() == 2 ? " in float16; try float32" : "");
		return new ResultException("generation stopped: encoding the prompt produced NaN/Inf values; likely source: "
			+ cause);
	}

	static ResultException inLatents(StableDiffusionModel model, GenerationRequest r, long seed, int step, int total) {
		String weights = badWeight(model.unet());
		String adapted = badAdaptedWeight(model);
		String cause;
		if (weights != null) cause = "the UNet weights (" + model.files().unet().weights().describe() + ") contain "
			+ "NaN/Inf, e.g. " + weights;
		else if (adapted != null || !r.loras().isEmpty()) cause = "the LoRA" + (r.loras().size() == 1 ? " " : "s ")
			+ r.loras().stream().map(l -> l.file() + " at weight " + GenerationRequest.fmt(l.weight()))
				.collect(Collectors.joining(", ")) + (adapted != null ? ": the adapted weight of " + adapted
				+ " is NaN/Inf" : ": lower the LoRA weight, or the file is damaged or was trained for another model");
		else if (r.guidance() > 20) cause = "the guidance scale " + GenerationRequest.fmt(r.guidance())
			+ " is far above the usual 5-12";
		else cause = "the UNet's activations overflowed" + (model.dtype().getNumOfBytes() == 2
			? " in float16 (try float32)" : "") + " with the sampler " + r.sampler() + "; the model may be damaged ("
			+ model.files().unet().weights().describe() + ")";
		return new ResultException("generation stopped: the latents of image seed " + seed + " became NaN/Inf at "
			+ "denoising step " + step + " of " + total + "; likely source: " + cause);
	}

	static ResultException inDecodedImage(StableDiffusionModel model, GenerationRequest r, long seed) {
		String weights = badWeight(model.vae());
		String cause = weights != null ? "the VAE weights (" + model.files().vae().weights().describe()
			+ ") contain NaN/Inf, e.g. " + weights
			: "the VAE decoder overflowed: check its scaling_factor " + model.vae().scalingFactor() + " ("
				+ model.files().vae().configOrigin() + ")";
		return new ResultException("generation stopped: decoding image seed " + seed + " produced NaN/Inf pixels "
			+ "(the latents were finite); likely source: " + cause);
	}

	/** The first parameter of {@code net} holding a NaN/Inf, or null. */
	static String badWeight(Network net) {
		for (Map.Entry<String, Param> e : net.parameters().entrySet()) {
			Param p = e.getValue();
			if (p.isLoaded() && !allFinite(p.array())) return "'" + e.getKey() + "'";
		}
		return null;
	}

	/** The first adapted layer whose effective (LoRA-merged) weight holds a NaN/Inf, or null. */
	static String badAdaptedWeight(StableDiffusionModel model) {
		for (Network net : new Network[] {model.unet(), model.textEncoder()}) {
			for (Map.Entry<String, Module> e : net.modules().entrySet()) {
				if (!(e.getValue() instanceof AdaptableLayer l) || !l.hasAdapters()) continue;
				try (NDManager scratch = l.weight().array().getManager().newSubManager()) {
					if (!allFinite(l.effectiveWeight(scratch))) return "'" + e.getKey() + "'";
				}
			}
		}
		return null;
	}
}
