package io.github.diffusej.model.clip;

import com.google.gson.annotations.SerializedName;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.nn.Ops;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * transformers {@code CLIPTextConfig} ({@code text_encoder/config.json}); nulls take transformers 4.36 defaults.
 */
public record CLIPTextConfig(
	@SerializedName("architectures") List<String> architectures,
	@SerializedName("vocab_size") Integer vocabSize,
	@SerializedName("hidden_size") Integer hiddenSize,
	@SerializedName("intermediate_size") Integer intermediateSize,
	@SerializedName("num_hidden_layers") Integer numHiddenLayers,
	@SerializedName("num_attention_heads") Integer numAttentionHeads,
	@SerializedName("max_position_embeddings") Integer maxPositionEmbeddings,
	@SerializedName("hidden_act") String hiddenAct,
	@SerializedName("layer_norm_eps") Double layerNormEps,
	@SerializedName("eos_token_id") Integer eosTokenId,
	@SerializedName("projection_dim") Integer projectionDim)
{

	public CLIPTextConfig {
		architectures = architectures == null ? List.of("CLIPTextModel") : List.copyOf(architectures);
		vocabSize = vocabSize == null ? 49408 : vocabSize;
		hiddenSize = hiddenSize == null ? 512 : hiddenSize;
		intermediateSize = intermediateSize == null ? 2048 : intermediateSize;
		numHiddenLayers = numHiddenLayers == null ? 12 : numHiddenLayers;
		numAttentionHeads = numAttentionHeads == null ? 8 : numAttentionHeads;
		maxPositionEmbeddings = maxPositionEmbeddings == null ? 77 : maxPositionEmbeddings;
		hiddenAct = hiddenAct == null ? "quick_gelu" : hiddenAct;
		layerNormEps = layerNormEps == null ? 1e-5 : layerNormEps;
		eosTokenId = eosTokenId == null ? 49407 : eosTokenId;
		projectionDim = projectionDim == null ? 512 : projectionDim;
		Ops.checkActivation(hiddenAct);
		Configs.checkRange("vocab_size", vocabSize, 1, 10_000_000);
		Configs.checkRange("hidden_size", hiddenSize, 1, 65_536);
		Configs.checkRange("intermediate_size", intermediateSize, 1, 262_144);
		Configs.checkRange("num_hidden_layers", numHiddenLayers, 1, 256);
		Configs.checkRange("num_attention_heads", numAttentionHeads, 1, hiddenSize);
		Configs.checkRange("max_position_embeddings", maxPositionEmbeddings, 3, 65_536);
		Configs.checkPositive("layer_norm_eps", layerNormEps);
		Configs.checkRange("projection_dim", projectionDim, 1, 65_536);
		if (hiddenSize % numAttentionHeads != 0) throw new IllegalArgumentException("hidden_size " + hiddenSize
			+ " is not divisible by num_attention_heads " + numAttentionHeads);
		for (String a : architectures) {
			if (!a.equals("CLIPTextModel")) throw new IllegalArgumentException("text encoder architecture '" + a
				+ "' is not supported yet (only CLIPTextModel, as in SD1.x/SD2.x)");
		}
	}

	/** Keys of real config files that have no effect here (dropout at inference, token ids, bookkeeping). */
	public static final java.util.Set<String> IGNORED_KEYS = java.util.Set.of("attention_dropout", "bos_token_id", "dropout",
		"initializer_factor",
		"initializer_range", "model_type", "pad_token_id", "torch_dtype", "transformers_version");

	public static CLIPTextConfig read(Path configJson) throws IOException {
		return Configs.read(configJson, CLIPTextConfig.class, IGNORED_KEYS);
	}

	public int headDim() {
		return hiddenSize / numAttentionHeads;
	}
}
