package io.github.diffusej.model.loader;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The state-dict key names a config implies, for the SD 1.x/2.x subset of diffusers' {@code UNet2DConditionModel}
 * and {@code AutoencoderKL} and transformers' {@code CLIPTextModel}. Used to find missing and surplus tensors in a
 * checkpoint before any network is built. Names only; shapes are the networks' business.
 */
public final class ReferenceKeys {

	private ReferenceKeys() {}

	/** Thrown for config features this generator does not know (the message names the field and value). */
	public static final class UnsupportedConfig extends IllegalArgumentException {
		private static final long serialVersionUID = 1L;

		UnsupportedConfig(String msg) {
			super(msg);
		}
	}

	public static Set<String> of(Component c, JsonObject config) {
		return switch (c) {
			case UNET -> unet(config);
			case VAE -> vae(config);
			case TEXT_ENCODER -> textEncoder(config);
		};
	}

	/**
	 * Compares the keys a source offers with the keys the config implies. Returns the defects (missing keys;
	 * surplus keys when {@code surplusIsDefect}), each naming the component, empty when all is well.
	 *
	 * @param sourceName maps a reference key back to the name in the file, for messages
	 */
	public static List<String> check(Component c, JsonObject config, Set<String> offered,
		java.util.function.UnaryOperator<String> sourceName, boolean surplusIsDefect)
	{
		Set<String> expected;
		try {
			expected = of(c, config);
		}
		catch (UnsupportedConfig e) {
			return List.of(c.folder + ": cannot check the tensors against the config: " + e.getMessage());
		}
		catch (RuntimeException e) {
			return List.of(c.folder + ": malformed config (" + e + ")");
		}
		List<String> defects = new ArrayList<>();
		List<String> missing = expected.stream().filter(k -> !offered.contains(k)).toList();
		if (!missing.isEmpty()) defects.add(c.folder + ": " + missing.size() + " tensor(s) missing (reference names): " + shortList(missing));
		if (surplusIsDefect) {
			List<String> surplus = offered.stream().filter(k -> !expected.contains(k)).sorted()
				.map(k -> sourceName.apply(k).equals(k) ? k : sourceName.apply(k) + " (as " + k + ")").toList();
			if (!surplus.isEmpty()) defects.add(c.folder + ": " + surplus.size() + " tensor(s) that the config " +
				"does not have: " + shortList(surplus));
		}
		return defects;
	}

	private static String shortList(List<String> items) {
		int n = Math.min(items.size(), 20);
		String s = String.join(", ", items.subList(0, n));
		return items.size() > n ? s + ", ... (" + (items.size() - n) + " more)" : s;
	}

	private static void wb(Set<String> out, String module) {
		out.add(module + ".weight");
		out.add(module + ".bias");
	}

	private static int[] ints(JsonObject o, String key) {
		JsonElement e = o.get(key);
		if (e == null || !e.isJsonArray()) throw new UnsupportedConfig("config field '" + key + "' missing or not a list");
		JsonArray a = e.getAsJsonArray();
		int[] out = new int[a.size()];
		for (int i = 0; i < out.length; i++) out[i] = a.get(i).getAsInt();
		return out;
	}

	private static List<String> strings(JsonObject o, String key) {
		JsonElement e = o.get(key);
		if (e == null || !e.isJsonArray()) throw new UnsupportedConfig("config field '" + key + "' missing or not a list");
		List<String> out = new ArrayList<>();
		for (JsonElement x : e.getAsJsonArray()) out.add(x.getAsString());
		return out;
	}

	private static int integer(JsonObject o, String key, int dflt) {
		JsonElement e = o.get(key);
		if (e == null || e.isJsonNull()) return dflt;
		if (e.isJsonArray()) throw new UnsupportedConfig("per-block '" + key + "' is not supported");
		return e.getAsInt();
	}

	private static void requireAbsent(JsonObject o, String key) {
		JsonElement e = o.get(key);
		if (e != null && !e.isJsonNull() && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() && !e.getAsBoolean()))
			throw new UnsupportedConfig("config field '" + key + "' = " + e + " is not supported");
	}

	// --- UNet2DConditionModel ------------------------------------------------------------------------------

	static Set<String> unet(JsonObject cfg) {
		for (String k : new String[] {"addition_embed_type", "class_embed_type", "num_class_embeds", "encoder_hid_dim",
			"time_cond_proj_dim", "only_cross_attention", "dual_cross_attention", "timestep_post_act"})
			requireAbsent(cfg, k);
		int[] ch = ints(cfg, "block_out_channels");
		List<String> down = strings(cfg, "down_block_types"), up = strings(cfg, "up_block_types");
		int layers = integer(cfg, "layers_per_block", 2);
		int tl = integer(cfg, "transformer_layers_per_block", 1);
		Set<String> out = new LinkedHashSet<>();
		wb(out, "conv_in");
		wb(out, "time_embedding.linear_1");
		wb(out, "time_embedding.linear_2");
		int prev = ch[0];
		for (int i = 0; i < down.size(); i++) {
			boolean attn = switch (down.get(i)) {
				case "CrossAttnDownBlock2D" -> true;
				case "DownBlock2D" -> false;
				default -> throw new UnsupportedConfig("down block type '" + down.get(i) + "' is not supported");
			};
			String p = "down_blocks." + i + ".";
			for (int j = 0; j < layers; j++) {
				unetResnet(out, p + "resnets." + j, j == 0 ? prev : ch[i], ch[i]);
				if (attn) transformer(out, p + "attentions." + j, tl);
			}
			if (i < down.size() - 1) wb(out, p + "downsamplers.0.conv");
			prev = ch[i];
		}
		String mid = cfg.has("mid_block_type") && !cfg.get("mid_block_type").isJsonNull()
			? cfg.get("mid_block_type").getAsString() : "UNetMidBlock2DCrossAttn";
		if (!mid.equals("UNetMidBlock2DCrossAttn")) throw new UnsupportedConfig("mid block type '" + mid +
			"' is not supported");
		int top = ch[ch.length - 1];
		unetResnet(out, "mid_block.resnets.0", top, top);
		transformer(out, "mid_block.attentions.0", tl);
		unetResnet(out, "mid_block.resnets.1", top, top);
		prev = top;
		for (int i = 0; i < up.size(); i++) {
			boolean attn = switch (up.get(i)) {
				case "CrossAttnUpBlock2D" -> true;
				case "UpBlock2D" -> false;
				default -> throw new UnsupportedConfig("up block type '" + up.get(i) + "' is not supported");
			};
			int outCh = ch[ch.length - 1 - i];
			int skipBase = ch[Math.max(0, ch.length - 2 - i)];
			String p = "up_blocks." + i + ".";
			for (int j = 0; j <= layers; j++) {
				int skip = j == layers ? skipBase : outCh;
				int in = (j == 0 ? prev : outCh) + skip;
				unetResnet(out, p + "resnets." + j, in, outCh);
				if (attn) transformer(out, p + "attentions." + j, tl);
			}
			if (i < up.size() - 1) wb(out, p + "upsamplers.0.conv");
			prev = outCh;
		}
		wb(out, "conv_norm_out");
		wb(out, "conv_out");
		return out;
	}

	private static void unetResnet(Set<String> out, String p, int in, int outCh) {
		wb(out, p + ".norm1");
		wb(out, p + ".conv1");
		wb(out, p + ".time_emb_proj");
		wb(out, p + ".norm2");
		wb(out, p + ".conv2");
		if (in != outCh) wb(out, p + ".conv_shortcut");
	}

	private static void transformer(Set<String> out, String p, int blocks) {
		wb(out, p + ".norm");
		wb(out, p + ".proj_in");
		for (int t = 0; t < blocks; t++) {
			String b = p + ".transformer_blocks." + t + ".";
			for (String a : new String[] {"attn1", "attn2"}) {
				for (String q : new String[] {"to_q", "to_k", "to_v"}) out.add(b + a + "." + q + ".weight");
				wb(out, b + a + ".to_out.0");
			}
			wb(out, b + "norm1");
			wb(out, b + "norm2");
			wb(out, b + "norm3");
			wb(out, b + "ff.net.0.proj");
			wb(out, b + "ff.net.2");
		}
		wb(out, p + ".proj_out");
	}

	// --- AutoencoderKL -------------------------------------------------------------------------------------

	static Set<String> vae(JsonObject cfg) {
		int[] ch = ints(cfg, "block_out_channels");
		int layers = integer(cfg, "layers_per_block", 2);
		Set<String> out = new LinkedHashSet<>();
		wb(out, "encoder.conv_in");
		int prev = ch[0];
		for (int i = 0; i < ch.length; i++) {
			for (int j = 0; j < layers; j++)
				vaeResnet(out, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? prev : ch[i], ch[i]);
			if (i < ch.length - 1) wb(out, "encoder.down_blocks." + i + ".downsamplers.0.conv");
			prev = ch[i];
		}
		vaeMid(out, "encoder.mid_block", ch[ch.length - 1]);
		wb(out, "encoder.conv_norm_out");
		wb(out, "encoder.conv_out");
		wb(out, "quant_conv");
		wb(out, "post_quant_conv");
		wb(out, "decoder.conv_in");
		vaeMid(out, "decoder.mid_block", ch[ch.length - 1]);
		prev = ch[ch.length - 1];
		for (int i = 0; i < ch.length; i++) {
			int c = ch[ch.length - 1 - i];
			for (int j = 0; j <= layers; j++)
				vaeResnet(out, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? prev : c, c);
			if (i < ch.length - 1) wb(out, "decoder.up_blocks." + i + ".upsamplers.0.conv");
			prev = c;
		}
		wb(out, "decoder.conv_norm_out");
		wb(out, "decoder.conv_out");
		return out;
	}

	private static void vaeResnet(Set<String> out, String p, int in, int outCh) {
		wb(out, p + ".norm1");
		wb(out, p + ".conv1");
		wb(out, p + ".norm2");
		wb(out, p + ".conv2");
		if (in != outCh) wb(out, p + ".conv_shortcut");
	}

	private static void vaeMid(Set<String> out, String p, int c) {
		vaeResnet(out, p + ".resnets.0", c, c);
		for (String m : new String[] {"group_norm", "to_q", "to_k", "to_v", "to_out.0"}) wb(out, p + ".attentions.0." + m);
		vaeResnet(out, p + ".resnets.1", c, c);
	}

	// --- CLIPTextModel -------------------------------------------------------------------------------------

	static Set<String> textEncoder(JsonObject cfg) {
		int layers = integer(cfg, "num_hidden_layers", 12);
		Set<String> out = new LinkedHashSet<>();
		out.add("text_model.embeddings.token_embedding.weight");
		out.add("text_model.embeddings.position_embedding.weight");
		for (int n = 0; n < layers; n++) {
			String p = "text_model.encoder.layers." + n + ".";
			for (String m : new String[] {"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj",
				"self_attn.out_proj", "layer_norm1", "mlp.fc1", "mlp.fc2", "layer_norm2"})
				wb(out, p + m);
		}
		wb(out, "text_model.final_layer_norm");
		return out;
	}
}
