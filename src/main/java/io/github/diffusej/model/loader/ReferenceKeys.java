package io.github.diffusej.model.loader;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.ldm.LdmKeyMap;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The state-dict key names a config implies, for the SD 1.x/2.x subset of diffusers' {@code UNet2DConditionModel}
 * and {@code AutoencoderKL} and transformers' {@code CLIPTextModel}. Used to find missing and surplus tensors in a
 * checkpoint before any weight is loaded, and to check every shape. The networks themselves are the one source of
 * these facts: each is built shapes-only from its config and its {@code parameters()} read. Config options the
 * networks do not implement are reported as {@link UnsupportedConfig}.
 */
public final class ReferenceKeys {

	private ReferenceKeys() {}

	/** Thrown for config features the networks do not implement (the message names the field and value). */
	public static final class UnsupportedConfig extends IllegalArgumentException {
		private static final long serialVersionUID = 1L;

		UnsupportedConfig(String msg) {
			super(msg);
		}

		UnsupportedConfig(String msg, Throwable cause) {
			super(msg, cause);
		}
	}

	/** The keys a config implies. */
	public static Set<String> of(Component c, JsonObject config) {
		return shapes(c, config).keySet();
	}

	/** The keys a config implies, with their reference shapes, in module order. */
	public static Map<String, long[]> shapes(Component c, JsonObject config) {
		Map<String, long[]> out = new LinkedHashMap<>();
		network(c, config).parameters().forEach((k, p) -> {
			if (!LdmKeyMap.isIgnorableDiffusersKey(k)) out.put(k, p.shape().getShape());
		});
		return out;
	}

	/**
	 * Compares the tensors a source offers (reference key -> shape) with those the config implies. Returns the
	 * defects (missing keys, wrong shapes; surplus keys when {@code surplusIsDefect}), each starting with the
	 * component's folder name; empty when all is well.
	 *
	 * @param sourceName maps a reference key back to the name in the file, for messages
	 */
	public static List<String> check(Component c, JsonObject config, Map<String, long[]> offered,
		UnaryOperator<String> sourceName, boolean surplusIsDefect)
	{
		Map<String, long[]> expected;
		try {
			expected = shapes(c, config);
		}
		catch (UnsupportedConfig e) {
			return List.of(c.folder + ": cannot check the tensors against the config: " + e.getMessage());
		}
		catch (RuntimeException e) {
			return List.of(c.folder + ": malformed config (" + e + ")");
		}
		List<String> defects = new ArrayList<>();
		List<String> missing = expected.keySet().stream().filter(k -> !offered.containsKey(k)).toList();
		if (!missing.isEmpty()) defects.add(c.folder + ": " + missing.size() + " tensor(s) missing (reference names): " +
			shortList(missing));
		List<String> wrong = new ArrayList<>();
		for (Map.Entry<String, long[]> e : expected.entrySet()) {
			long[] got = offered.get(e.getKey());
			if (got != null && !Arrays.equals(got, e.getValue())) wrong.add(named(e.getKey(), sourceName) + " is " +
				Arrays.toString(got) + ", the config implies " + Arrays.toString(e.getValue()));
		}
		if (!wrong.isEmpty()) defects.add(c.folder + ": " + wrong.size() + " tensor(s) with the wrong shape: " +
			shortList(wrong));
		if (surplusIsDefect) {
			List<String> surplus = offered.keySet().stream().filter(k -> !expected.containsKey(k)).sorted()
				.map(k -> named(k, sourceName)).toList();
			if (!surplus.isEmpty()) defects.add(c.folder + ": " + surplus.size() + " tensor(s) that the config " +
				"does not have: " + shortList(surplus));
		}
		return defects;
	}

	private static String named(String key, UnaryOperator<String> sourceName) {
		String src = sourceName.apply(key);
		return src == null || src.equals(key) ? "'" + key + "'" : "'" + src + "' (as " + key + ")";
	}

	private static String shortList(List<String> items) {
		int n = Math.min(items.size(), 20);
		String s = String.join(", ", items.subList(0, n));
		return items.size() > n ? s + ", ... (" + (items.size() - n) + " more)" : s;
	}

	/**
	 * The network of component {@code c}, built shapes-only from the config (nothing is allocated). A config the
	 * network's config record or constructor refuses (SDXL's {@code addition_embed_type}, unknown block types, ...)
	 * comes out as {@link UnsupportedConfig} carrying their message.
	 */
	private static Network network(Component c, JsonObject config) {
		String json = config.toString();
		Network net;
		try {
			net = switch (c) {
				case UNET -> new UNet2DConditionModel(Configs.parse(json, UNet2DConditionConfig.class));
				case VAE -> new AutoencoderKL(Configs.parse(json, AutoencoderKLConfig.class));
				case TEXT_ENCODER -> new CLIPTextModel(Configs.parse(json, CLIPTextConfig.class));
			};
		}
		catch (IllegalArgumentException e) {
			throw new UnsupportedConfig(e.getMessage(), e);
		}
		if (c == Component.UNET) refuseAsDiffusersDoes(config);
		return net;
	}

	/**
	 * diffusers 0.25.1 {@code UNet2DConditionModel} raises for a non-null {@code num_attention_heads} (SD1/SD2
	 * configs give the head count as {@code attention_head_dim}); {@link UNet2DConditionConfig} would accept it.
	 */
	private static void refuseAsDiffusersDoes(JsonObject cfg) {
		JsonElement e = cfg.get("num_attention_heads");
		if (e != null && !e.isJsonNull() && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && !e.getAsBoolean()))
			throw new UnsupportedConfig("config field 'num_attention_heads' = " + e + " is not supported");
	}
}
