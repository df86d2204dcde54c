package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** transformers {@code CLIPEncoder}: a stack of {@link CLIPEncoderLayer}s. */
public final class CLIPEncoder extends Module {

	private final List<CLIPEncoderLayer> layers = new ArrayList<>();

	CLIPEncoder(CLIPTextConfig c) {
		for (int i = 0; i < c.numHiddenLayers(); i++) layers.add(child("layers." + i, new CLIPEncoderLayer(c)));
	}

	/** Runs all layers; {@code states} receives the input and every layer's output. */
	NDArray forward(NDArray x, NDArray causalMask, List<NDArray> states) {
		states.add(x);
		for (CLIPEncoderLayer l : layers) {
			x = l.forward(x, causalMask);
			states.add(x);
		}
		return x;
	}
}
