package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Network;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * transformers {@code CLIPTextModel} (Radford et al. 2021, "Learning Transferable Visual Models From Natural
 * Language Supervision"), the SD1.x (ViT-L/14, quick_gelu) and SD2.x (OpenCLIP-H, gelu) text encoder.
 * Parameter keys are the transformers state-dict keys ({@code text_model.encoder.layers.0.self_attn.q_proj.weight}).
 *
 * <p>Legend: B batch, T tokens (77), D hidden size, L layers.
 */
public final class CLIPTextModel extends Network {

	private final CLIPTextConfig config;
	private final CLIPTextTransformer textModel;

	/** Builds the network with declared shapes only; call {@link #loadWeights} to allocate. */
	public CLIPTextModel(CLIPTextConfig config) {
		this.config = config;
		textModel = child("text_model", new CLIPTextTransformer(config));
	}

	/** Builds from a transformers folder ({@code text_encoder/}) reading its {@code config.json}. */
	public static CLIPTextModel fromConfig(Path folder) throws IOException {
		return new CLIPTextModel(CLIPTextConfig.read(folder.resolve("config.json")));
	}

	public CLIPTextConfig config() {
		return config;
	}

	@Override
	protected Set<String> ignorableKeys() {
		return Set.of("text_model.embeddings.position_ids");
	}

	public CLIPTextEmbeddings embeddings() {
		return textModel.embeddings();
	}

	/** ids [B, T] (int64; ids past the vocabulary use the extra token rows) -> all outputs. */
	public CLIPTextOutput forward(NDArray inputIds) {
		int layers = config.numHiddenLayers();
		NDList kept = BlockScope.runAll(() -> {
			CLIPTextOutput o = textModel.forward(inputIds);
			NDList l = new NDList(o.lastHiddenState(), o.pooled());
			l.addAll(new NDList(o.hiddenStates()));
			return l;
		});
		return new CLIPTextOutput(kept.get(0), List.copyOf(kept.subList(2, 3 + layers)), kept.get(1));
	}

	/**
	 * Prompt embeddings with diffusers' {@code clip_skip}: 0 (or less) gives {@code last_hidden_state};
	 * n > 0 gives {@code final_layer_norm(hidden_states[-(n + 1)])}. [B, T, D].
	 */
	public NDArray encode(NDArray inputIds, int clipSkip) {
		if (clipSkip >= config.numHiddenLayers()) throw new IllegalArgumentException("clip_skip " + clipSkip
			+ " leaves no encoder layer (the model has " + config.numHiddenLayers() + ")");
		return BlockScope.run(() -> {
			CLIPTextOutput o = textModel.forward(inputIds);
			if (clipSkip <= 0) return o.lastHiddenState();
			return textModel.finalLayerNorm().forward(o.hiddenStateFromEnd(clipSkip + 1));
		});
	}
}
