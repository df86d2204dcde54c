package io.github.diffusej.model.loader;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.List;
import java.util.Set;

/**
 * The state-dict key names a config implies, for the SD 1.x/2.x subset of diffusers' {@code UNet2DConditionModel}
 * and {@code AutoencoderKL} and transformers' {@code CLIPTextModel}. Used to find missing and surplus tensors in a
 * checkpoint before any network is built, and to check every shape. Only the SD 1.x/2.x subset of config options is
 * known; anything else is reported as {@link UnsupportedConfig}.
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

	/** The keys a config implies. */
	public static Set<String> of(Component c, JsonObject config) {
		return shapes(c, config).keySet();
	}

	/** The keys a config implies, with their reference shapes, in module order. */
	public static Map<String, long[]> shapes(Component c, JsonObject config) {
		return switch (c) {
			case UNET -> unet(config);
			case VAE -> vae(config);
			case TEXT_ENCODER -> textEncoder(config);
		};
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

	private static long[] d(long... dims) {
		return dims;
	}

	private static void wb(Map<String, long[]> out, String module, long[] weight) {
		out.put(module + ".weight", weight);
		out.put(module + ".bias", d(weight[0]));
	}

	/** Norm layers: weight and bias both [c]. */
	private static void norm(Map<String, long[]> out, String module, long c) {
		wb(out, module, d(c));
	}

	private static void conv(Map<String, long[]> out, String module, long outCh, long in, long k) {
		wb(out, module, d(outCh, in, k, k));
	}

	private static void linear(Map<String, long[]> out, String module, long outF, long in) {
		wb(out, module, d(outF, in));
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

	static Map<String, long[]> unet(JsonObject cfg) {
		for (String k : new String[] {"addition_embed_type", "class_embed_type", "num_class_embeds", "encoder_hid_dim",
			"time_cond_proj_dim", "only_cross_attention", "dual_cross_attention", "timestep_post_act",
			"time_embedding_dim", "num_attention_heads"})
			requireAbsent(cfg, k);
		int[] ch = ints(cfg, "block_out_channels");
		List<String> down = strings(cfg, "down_block_types"), up = strings(cfg, "up_block_types");
		int layers = integer(cfg, "layers_per_block", 2);
		int tl = integer(cfg, "transformer_layers_per_block", 1);
		int k = integer(cfg, "conv_in_kernel", 3), kOut = integer(cfg, "conv_out_kernel", 3);
		int cross = integer(cfg, "cross_attention_dim", 1280);
		boolean linear = cfg.has("use_linear_projection") && !cfg.get("use_linear_projection").isJsonNull()
			&& cfg.get("use_linear_projection").getAsBoolean();
		long temb = 4L * ch[0];
		Map<String, long[]> out = new LinkedHashMap<>();
		conv(out, "conv_in", ch[0], integer(cfg, "in_channels", 4), k);
		linear(out, "time_embedding.linear_1", temb, ch[0]);
		linear(out, "time_embedding.linear_2", temb, temb);
		int prev = ch[0];
		for (int i = 0; i < down.size(); i++) {
			boolean attn = switch (down.get(i)) {
				case "CrossAttnDownBlock2D" -> true;
				case "DownBlock2D" -> false;
				default -> throw new UnsupportedConfig("down block type '" + down.get(i) + "' is not supported");
			};
			String p = "down_blocks." + i + ".";
			for (int j = 0; j < layers; j++) {
				unetResnet(out, p + "resnets." + j, j == 0 ? prev : ch[i], ch[i], temb);
				if (attn) transformer(out, p + "attentions." + j, ch[i], cross, linear, tl);
			}
			if (i < down.size() - 1) conv(out, p + "downsamplers.0.conv", ch[i], ch[i], 3);
			prev = ch[i];
		}
		String mid = cfg.has("mid_block_type") && !cfg.get("mid_block_type").isJsonNull()
			? cfg.get("mid_block_type").getAsString() : "UNetMidBlock2DCrossAttn";
		if (!mid.equals("UNetMidBlock2DCrossAttn")) throw new UnsupportedConfig("mid block type '" + mid +
			"' is not supported");
		int top = ch[ch.length - 1];
		unetResnet(out, "mid_block.resnets.0", top, top, temb);
		transformer(out, "mid_block.attentions.0", top, cross, linear, tl);
		unetResnet(out, "mid_block.resnets.1", top, top, temb);
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
				unetResnet(out, p + "resnets." + j, (j == 0 ? prev : outCh) + skip, outCh, temb);
				if (attn) transformer(out, p + "attentions." + j, outCh, cross, linear, tl);
			}
			if (i < up.size() - 1) conv(out, p + "upsamplers.0.conv", outCh, outCh, 3);
			prev = outCh;
		}
		norm(out, "conv_norm_out", ch[0]);
		conv(out, "conv_out", integer(cfg, "out_channels", 4), ch[0], kOut);
		return out;
	}

	private static void unetResnet(Map<String, long[]> out, String p, int in, int outCh, long temb) {
		norm(out, p + ".norm1", in);
		conv(out, p + ".conv1", outCh, in, 3);
		linear(out, p + ".time_emb_proj", outCh, temb);
		norm(out, p + ".norm2", outCh);
		conv(out, p + ".conv2", outCh, outCh, 3);
		if (in != outCh) conv(out, p + ".conv_shortcut", outCh, in, 1);
	}

	/** Transformer2DModel with BasicTransformerBlocks (inner width = c, GEGLU feed-forward of 4c). */
	private static void transformer(Map<String, long[]> out, String p, long c, long cross, boolean linear, int blocks) {
		norm(out, p + ".norm", c);
		wb(out, p + ".proj_in", linear ? d(c, c) : d(c, c, 1, 1));
		for (int t = 0; t < blocks; t++) {
			String b = p + ".transformer_blocks." + t + ".";
			for (String a : new String[] {"attn1", "attn2"}) {
				long kv = a.equals("attn1") ? c : cross;
				out.put(b + a + ".to_q.weight", d(c, c));
				out.put(b + a + ".to_k.weight", d(c, kv));
				out.put(b + a + ".to_v.weight", d(c, kv));
				linear(out, b + a + ".to_out.0", c, c);
			}
			norm(out, b + "norm1", c);
			norm(out, b + "norm2", c);
			norm(out, b + "norm3", c);
			linear(out, b + "ff.net.0.proj", 8 * c, c);
			linear(out, b + "ff.net.2", c, 4 * c);
		}
		wb(out, p + ".proj_out", linear ? d(c, c) : d(c, c, 1, 1));
	}

	// --- AutoencoderKL -------------------------------------------------------------------------------------

	static Map<String, long[]> vae(JsonObject cfg) {
		int[] ch = ints(cfg, "block_out_channels");
		int layers = integer(cfg, "layers_per_block", 2);
		int latent = integer(cfg, "latent_channels", 4);
		int top = ch[ch.length - 1];
		Map<String, long[]> out = new LinkedHashMap<>();
		conv(out, "encoder.conv_in", ch[0], integer(cfg, "in_channels", 3), 3);
		int prev = ch[0];
		for (int i = 0; i < ch.length; i++) {
			for (int j = 0; j < layers; j++)
				vaeResnet(out, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? prev : ch[i], ch[i]);
			if (i < ch.length - 1) conv(out, "encoder.down_blocks." + i + ".downsamplers.0.conv", ch[i], ch[i], 3);
			prev = ch[i];
		}
		vaeMid(out, "encoder.mid_block", top);
		norm(out, "encoder.conv_norm_out", top);
		conv(out, "encoder.conv_out", 2 * latent, top, 3);
		conv(out, "quant_conv", 2 * latent, 2 * latent, 1);
		conv(out, "post_quant_conv", latent, latent, 1);
		conv(out, "decoder.conv_in", top, latent, 3);
		vaeMid(out, "decoder.mid_block", top);
		prev = top;
		for (int i = 0; i < ch.length; i++) {
			int c = ch[ch.length - 1 - i];
			for (int j = 0; j <= layers; j++)
				vaeResnet(out, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? prev : c, c);
			if (i < ch.length - 1) conv(out, "decoder.up_blocks." + i + ".upsamplers.0.conv", c, c, 3);
			prev = c;
		}
		norm(out, "decoder.conv_norm_out", ch[0]);
		conv(out, "decoder.conv_out", integer(cfg, "out_channels", 3), ch[0], 3);
		return out;
	}

	private static void vaeResnet(Map<String, long[]> out, String p, int in, int outCh) {
		norm(out, p + ".norm1", in);
		conv(out, p + ".conv1", outCh, in, 3);
		norm(out, p + ".norm2", outCh);
		conv(out, p + ".conv2", outCh, outCh, 3);
		if (in != outCh) conv(out, p + ".conv_shortcut", outCh, in, 1);
	}

	private static void vaeMid(Map<String, long[]> out, String p, int c) {
		vaeResnet(out, p + ".resnets.0", c, c);
		norm(out, p + ".attentions.0.group_norm", c);
		for (String m : new String[] {"to_q", "to_k", "to_v", "to_out.0"}) linear(out, p + ".attentions.0." + m, c, c);
		vaeResnet(out, p + ".resnets.1", c, c);
	}

	// --- CLIPTextModel -------------------------------------------------------------------------------------

	static Map<String, long[]> textEncoder(JsonObject cfg) {
		int layers = integer(cfg, "num_hidden_layers", 12);
		long h = integer(cfg, "hidden_size", 512), inter = integer(cfg, "intermediate_size", 2048);
		Map<String, long[]> out = new LinkedHashMap<>();
		out.put("text_model.embeddings.token_embedding.weight", d(integer(cfg, "vocab_size", 49408), h));
		out.put("text_model.embeddings.position_embedding.weight", d(integer(cfg, "max_position_embeddings", 77), h));
		for (int n = 0; n < layers; n++) {
			String p = "text_model.encoder.layers." + n + ".";
			for (String m : new String[] {"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj"})
				linear(out, p + m, h, h);
			norm(out, p + "layer_norm1", h);
			linear(out, p + "mlp.fc1", inter, h);
			linear(out, p + "mlp.fc2", h, inter);
			norm(out, p + "layer_norm2", h);
		}
		norm(out, "text_model.final_layer_norm", h);
		return out;
	}
}
