package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to build a Stable Diffusion pipeline from a diffusers folder or a single-file checkpoint.
 * Owns the weight sources: close it (or each {@link ComponentFiles#weights()}) when the networks have loaded.
 *
 * @param source the folder or file that was opened
 * @param kind how it was laid out
 * @param family SD 1.x or SD 2.x
 * @param predictionType what the UNet predicts (after any override); also written into {@code schedulerConfig}
 * @param components text encoder, UNet and VAE
 * @param tokenizerDir a folder with {@code vocab.json} + {@code merges.txt} (or {@code tokenizer.json})
 * @param schedulerConfig the parsed {@code scheduler_config.json} (a copy; safe to modify)
 * @param notes things the user may want to know (fallbacks taken, keys ignored), never errors
 */
public record ModelFiles(Path source, Kind kind, ModelFamily family, PredictionType predictionType,
	Map<Component, ComponentFiles> components, Path tokenizerDir, JsonObject schedulerConfig, List<String> notes)
	implements AutoCloseable
{

	public enum Kind { DIFFUSERS_FOLDER, SINGLE_FILE }

	public ComponentFiles unet() {
		return components.get(Component.UNET);
	}

	public ComponentFiles vae() {
		return components.get(Component.VAE);
	}

	public ComponentFiles textEncoder() {
		return components.get(Component.TEXT_ENCODER);
	}

	@Override
	public void close() throws IOException {
		IOException first = null;
		for (ComponentFiles c : components.values()) {
			try {
				c.weights().close();
			}
			catch (IOException e) {
				if (first == null) first = e;
			}
		}
		if (first != null) throw first;
	}
}
