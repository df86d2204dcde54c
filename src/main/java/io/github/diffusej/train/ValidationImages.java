package io.github.diffusej.train;

import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.StableDiffusionModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Validation images: every prompt with every seed, rendered with the model as it is being trained (its trainable
 * rows or adapters installed), the same prompts and seeds at every validation so that the images can be compared
 * step by step. Each image is saved at once as a PNG with its settings ({@code validation/step_N/}) and reported to
 * the listener, which grows the Fiji stack.
 */
final class ValidationImages {

	private final StableDiffusionModel model;
	private final List<String> prompts;
	private final TrainConfig.Validation v;
	private final int width;
	private final int height;
	private final int clipSkip;

	/** {@code prompts} with {@code {token}} already replaced by the trigger. */
	ValidationImages(StableDiffusionModel model, List<String> prompts, TrainConfig.Validation v, int width, int height,
		int clipSkip)
	{
		this.model = model;
		this.prompts = List.copyOf(prompts);
		this.v = v;
		this.width = width;
		this.height = height;
		this.clipSkip = clipSkip;
	}

	List<String> prompts() {
		return prompts;
	}

	int count() {
		return prompts.size() * v.seeds().size();
	}

	/** Renders all images of one validation into {@code dir}; returns the PNGs. */
	List<Path> render(int step, Path dir, TrainingListener listener, BooleanSupplier cancelled) throws IOException {
		List<Path> out = new ArrayList<>();
		int index = 0;
		for (int p = 0; p < prompts.size(); p++) {
			for (long seed : v.seeds()) {
				if (cancelled.getAsBoolean()) throw new CancellationException("validation cancelled");
				GenerationRequest r = new GenerationRequest(model.source(), null, prompts.get(p), v.negativePrompt(),
					v.steps(), v.guidanceScale(), v.sampler(), seed, width, height, 1, clipSkip, null, null, null);
				GeneratedImage g = TextToImage.generate(model, r, TextToImage.Listener.of(
					(done, total, message) -> {
						if (cancelled.getAsBoolean()) throw new CancellationException("validation cancelled");
					})).get(0);
				Path png = ResultStack.savePng(g, dir, String.format("prompt_%02d", p), 0);
				out.add(png);
				listener.validationImage(step, index++, count(), g, png);
			}
		}
		return out;
	}
}
