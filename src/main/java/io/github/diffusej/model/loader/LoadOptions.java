package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

import java.nio.file.Path;

/**
 * Choices the caller may make when opening a model. Every field may be {@code null} (= default).
 *
 * @param variant weights variant of a diffusers folder, e.g. {@code "fp16"} for {@code *.fp16.safetensors};
 *          {@code null} prefers the plain files. Either way the other one is used, with a note, when the preferred
 *          one is missing.
 * @param tokenizerDir tokenizer folder ({@code vocab.json} + {@code merges.txt}, or {@code tokenizer.json}); needed
 *          for single-file checkpoints unless a {@code tokenizer/} folder lies next to the file. Overrides a
 *          diffusers folder's own tokenizer.
 * @param predictionType overrides the prediction type (e.g. {@code EPSILON} for the SD 2.x 512-base models).
 * @param configDir a folder laid out like a diffusers model ({@code unet/config.json}, {@code vae/config.json},
 *          {@code text_encoder/config.json}, {@code scheduler/scheduler_config.json}) whose configs replace the
 *          bundled defaults of a single-file checkpoint; components it lacks keep the defaults.
 */
public record LoadOptions(String variant, Path tokenizerDir, PredictionType predictionType, Path configDir) {

	public static LoadOptions defaults() {
		return new LoadOptions(null, null, null, null);
	}

	public LoadOptions withVariant(String v) {
		return new LoadOptions(v, tokenizerDir, predictionType, configDir);
	}

	public LoadOptions withTokenizerDir(Path p) {
		return new LoadOptions(variant, p, predictionType, configDir);
	}

	public LoadOptions withPredictionType(PredictionType p) {
		return new LoadOptions(variant, tokenizerDir, p, configDir);
	}

	public LoadOptions withConfigDir(Path p) {
		return new LoadOptions(variant, tokenizerDir, predictionType, p);
	}
}
