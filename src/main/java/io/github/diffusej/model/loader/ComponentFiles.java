package io.github.diffusej.model.loader;

import com.google.gson.JsonObject;
import io.github.diffusej.model.WeightSource;

/**
 * One network component ready to be built: its weights under reference names and its parsed {@code config.json}.
 *
 * @param configOrigin where the config came from: a file path, or {@code "bundled:sd1/unet/config.json"}
 */
public record ComponentFiles(Component component, WeightSource weights, JsonObject config, String configOrigin) {}
