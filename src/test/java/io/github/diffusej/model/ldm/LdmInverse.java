package io.github.diffusej.model.ldm;

import io.github.diffusej.model.loader.Component;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test helper: reference (diffusers) names -> LDM single-file names, written independently of {@link LdmKeyMap}
 * (by hand, from the LDM module layout) so that a round trip checks the forward table.
 *
 * <p>SD2 text-encoder keys map to OpenCLIP names; q/k/v projections map to the one fused {@code in_proj} key
 * (callers concatenate the three tensors in q, k, v order).
 */
final class LdmInverse {

	private final int perBlock;
	private final int vaeBlocks;
	private final boolean openClip;
	private final java.util.Set<Integer> upBlocksWithAttention = new java.util.HashSet<>();

	LdmInverse(int unetLayersPerBlock, int vaeBlocks, boolean openClip, Collection<String> unetKeys) {
		this.perBlock = unetLayersPerBlock;
		this.vaeBlocks = vaeBlocks;
		this.openClip = openClip;
		Pattern p = Pattern.compile("up_blocks\\.(\\d+)\\.attentions\\..+");
		for (String k : unetKeys) {
			Matcher m = p.matcher(k);
			if (m.matches()) upBlocksWithAttention.add(Integer.parseInt(m.group(1)));
		}
	}

	String toLdm(Component c, String key) {
		return switch (c) {
			case UNET -> "model.diffusion_model." + unet(key);
			case VAE -> "first_stage_model." + vae(key);
			case TEXT_ENCODER -> openClip ? "cond_stage_model.model." + openClip(key) : "cond_stage_model.transformer." + key;
		};
	}

	private static String[] match(String regex, String key) {
		Matcher m = Pattern.compile(regex).matcher(key);
		if (!m.matches()) return null;
		String[] g = new String[m.groupCount() + 1];
		for (int i = 0; i <= m.groupCount(); i++) g[i] = m.group(i);
		return g;
	}

	private static String resnetChild(String rest) {
		return rest.replace("norm1.", "in_layers.0.").replace("conv1.", "in_layers.2.")
			.replace("time_emb_proj.", "emb_layers.1.").replace("norm2.", "out_layers.0.")
			.replace("conv2.", "out_layers.3.").replace("conv_shortcut.", "skip_connection.");
	}

	private String unet(String k) {
		Map<String, String> top = Map.of("time_embedding.linear_1.", "time_embed.0.", "time_embedding.linear_2.",
			"time_embed.2.", "conv_in.", "input_blocks.0.0.", "conv_norm_out.", "out.0.", "conv_out.", "out.2.");
		for (var e : top.entrySet())
			if (k.startsWith(e.getKey())) return e.getValue() + k.substring(e.getKey().length());
		String[] g;
		int n = perBlock + 1;
		if ((g = match("down_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)", k)) != null)
			return "input_blocks." + (1 + n * Integer.parseInt(g[1]) + Integer.parseInt(g[2])) + ".0." + resnetChild(g[3]);
		if ((g = match("down_blocks\\.(\\d+)\\.attentions\\.(\\d+)\\.(.+)", k)) != null)
			return "input_blocks." + (1 + n * Integer.parseInt(g[1]) + Integer.parseInt(g[2])) + ".1." + g[3];
		if ((g = match("down_blocks\\.(\\d+)\\.downsamplers\\.0\\.conv\\.(.+)", k)) != null)
			return "input_blocks." + (1 + n * Integer.parseInt(g[1]) + perBlock) + ".0.op." + g[2];
		if ((g = match("mid_block\\.resnets\\.(\\d)\\.(.+)", k)) != null)
			return "middle_block." + (g[1].equals("0") ? 0 : 2) + "." + resnetChild(g[2]);
		if ((g = match("mid_block\\.attentions\\.0\\.(.+)", k)) != null) return "middle_block.1." + g[1];
		if ((g = match("up_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)", k)) != null)
			return "output_blocks." + (n * Integer.parseInt(g[1]) + Integer.parseInt(g[2])) + ".0." + resnetChild(g[3]);
		if ((g = match("up_blocks\\.(\\d+)\\.attentions\\.(\\d+)\\.(.+)", k)) != null)
			return "output_blocks." + (n * Integer.parseInt(g[1]) + Integer.parseInt(g[2])) + ".1." + g[3];
		if ((g = match("up_blocks\\.(\\d+)\\.upsamplers\\.0\\.(.+)", k)) != null) {
			int i = Integer.parseInt(g[1]);
			return "output_blocks." + (n * i + perBlock) + "." + (upBlocksWithAttention.contains(i) ? 2 : 1) + "." + g[2];
		}
		throw new IllegalArgumentException("no inverse for UNet key " + k);
	}

	private String vae(String k) {
		String[] g;
		String attn = "(encoder|decoder)\\.mid_block\\.attentions\\.0\\.";
		if ((g = match(attn + "group_norm\\.(.+)", k)) != null) return g[1] + ".mid.attn_1.norm." + g[2];
		if ((g = match(attn + "to_(q|k|v)\\.(.+)", k)) != null) return g[1] + ".mid.attn_1." + g[2] + "." + g[3];
		if ((g = match(attn + "to_out\\.0\\.(.+)", k)) != null) return g[1] + ".mid.attn_1.proj_out." + g[2];
		if ((g = match("(encoder|decoder)\\.mid_block\\.resnets\\.(\\d)\\.(.+)", k)) != null)
			return g[1] + ".mid.block_" + (Integer.parseInt(g[2]) + 1) + "." + g[3].replace("conv_shortcut.", "nin_shortcut.");
		if ((g = match("encoder\\.down_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)", k)) != null)
			return "encoder.down." + g[1] + ".block." + g[2] + "." + g[3].replace("conv_shortcut.", "nin_shortcut.");
		if ((g = match("encoder\\.down_blocks\\.(\\d+)\\.downsamplers\\.0\\.(.+)", k)) != null)
			return "encoder.down." + g[1] + ".downsample." + g[2];
		if ((g = match("decoder\\.up_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)", k)) != null)
			return "decoder.up." + (vaeBlocks - 1 - Integer.parseInt(g[1])) + ".block." + g[2] + "." +
				g[3].replace("conv_shortcut.", "nin_shortcut.");
		if ((g = match("decoder\\.up_blocks\\.(\\d+)\\.upsamplers\\.0\\.(.+)", k)) != null)
			return "decoder.up." + (vaeBlocks - 1 - Integer.parseInt(g[1])) + ".upsample." + g[2];
		return k.replace("conv_norm_out.", "norm_out.");
	}

	private static String openClip(String k) {
		String[] g;
		if (k.equals("text_model.embeddings.token_embedding.weight")) return "token_embedding.weight";
		if (k.equals("text_model.embeddings.position_embedding.weight")) return "positional_embedding";
		if ((g = match("text_model\\.final_layer_norm\\.(.+)", k)) != null) return "ln_final." + g[1];
		if ((g = match("text_model\\.encoder\\.layers\\.(\\d+)\\.(.+)", k)) != null) {
			String p = "transformer.resblocks." + g[1] + ".";
			String r = g[2];
			if ((g = match("self_attn\\.[qkv]_proj\\.(weight|bias)", r)) != null) return p + "attn.in_proj_" + g[1];
			return p + r.replace("layer_norm1.", "ln_1.").replace("layer_norm2.", "ln_2.").replace("mlp.fc1.", "mlp.c_fc.")
				.replace("mlp.fc2.", "mlp.c_proj.").replace("self_attn.out_proj.", "attn.out_proj.");
		}
		throw new IllegalArgumentException("no inverse for text key " + k);
	}

	/** VAE attention Linear weights become 1x1 convolutions in LDM files. */
	static long[] ldmShape(Component c, String key, long[] shape) {
		if (c == Component.VAE && shape.length == 2 && key.matches(".*mid_block\\.attentions\\.0\\.to_(q|k|v|out\\.0)\\.weight"))
			return new long[] {shape[0], shape[1], 1, 1};
		return shape;
	}

	/** The whole inverse of a per-component diffusers manifest (fused in_proj shapes for OpenCLIP). */
	Map<String, long[]> toLdmManifest(Map<Component, Map<String, long[]>> diffusers) {
		Map<String, long[]> out = new LinkedHashMap<>();
		for (var ce : diffusers.entrySet())
			for (var e : ce.getValue().entrySet()) {
				String ldm = toLdm(ce.getKey(), e.getKey());
				long[] s = ldmShape(ce.getKey(), e.getKey(), e.getValue());
				if (ldm.contains(".attn.in_proj_")) s = s.length == 2 ? new long[] {3 * s[0], s[1]} : new long[] {3 * s[0]};
				out.put(ldm, s);
			}
		return out;
	}

	static List<String> sorted(Collection<String> c) {
		List<String> l = new ArrayList<>(c);
		l.sort(null);
		return l;
	}
}
