package io.github.diffusej.model.adapter;

import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/** Finding layers to adapt and translating adapter-file names to module paths. */
public final class Adapters {

	private Adapters() {}

	/** Every adaptable layer (Linear/Conv2d) whose module path passes {@code filter}, in module order. */
	public static Map<String, AdaptableLayer> layers(Network net, Predicate<String> filter) {
		Map<String, AdaptableLayer> out = new LinkedHashMap<>();
		for (Map.Entry<String, Module> e : net.modules().entrySet()) {
			if (e.getValue() instanceof AdaptableLayer l && filter.test(e.getKey())) out.put(e.getKey(), l);
		}
		return out;
	}

	/**
	 * The usual SD LoRA targets: {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0} of every
	 * {@code attn1}/{@code attn2} of the UNet's transformer blocks.
	 */
	public static boolean isUnetAttentionProjection(String path) {
		return path.matches(".*\\.attn[12]\\.(to_q|to_k|to_v|to_out\\.0)");
	}

	/**
	 * kohya module names ({@code prefix + path.replace('.', '_')}, e.g. {@code lora_unet_..._attn1_to_out_0},
	 * {@code lora_te_text_model_encoder_layers_0_self_attn_q_proj}) for every adaptable layer, mapped to the module
	 * path. Dots cannot be restored from a kohya name alone, so the network's own paths are enumerated.
	 */
	public static Map<String, String> kohyaNames(Network net, String prefix) {
		Map<String, String> out = new LinkedHashMap<>();
		for (String path : layers(net, p -> true).keySet()) out.put(prefix + path.replace('.', '_'), path);
		return out;
	}
}
