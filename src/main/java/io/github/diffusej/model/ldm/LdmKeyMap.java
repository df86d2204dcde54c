package io.github.diffusej.model.ldm;

import io.github.diffusej.model.loader.Component;
import io.github.diffusej.model.loader.ModelFamily;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * THE table: original LDM single-file key names (CompVis / Stability {@code .safetensors}) to diffusers /
 * transformers state-dict names, for SD 1.x and SD 2.x. Every rename, split, reshape and ignored key lives here
 * and nowhere else.
 *
 * <h2>Prefixes</h2>
 * <pre>
 *   model.diffusion_model.          -> UNet          (UNet2DConditionModel)
 *   first_stage_model.              -> VAE           (AutoencoderKL)
 *   cond_stage_model.transformer.   -> text encoder  SD1: HF CLIPTextModel, names kept ("text_model." added if absent)
 *   cond_stage_model.model.         -> text encoder  SD2: OpenCLIP, renamed to CLIPTextModel names
 * </pre>
 *
 * <h2>UNet (L = layers_per_block, 2 for SD1/SD2)</h2>
 * <pre>
 *   time_embed.0 / time_embed.2              time_embedding.linear_1 / linear_2
 *   input_blocks.0.0                         conv_in
 *   input_blocks.k.0   (k >= 1, j < L)       down_blocks.i.resnets.j          i = (k-1) / (L+1), j = (k-1) % (L+1)
 *   input_blocks.k.1   (j < L)               down_blocks.i.attentions.j
 *   input_blocks.k.0.op (j == L)             down_blocks.i.downsamplers.0.conv
 *   middle_block.0 / .1 / .2                 mid_block.resnets.0 / mid_block.attentions.0 / mid_block.resnets.1
 *   output_blocks.k.0                        up_blocks.i.resnets.j            i = k / (L+1), j = k % (L+1)
 *   output_blocks.k.1  (attention)           up_blocks.i.attentions.j
 *   output_blocks.k.{1,2}.conv               up_blocks.i.upsamplers.0.conv    (j == L; .1 when the block has no attention)
 *   out.0 / out.2                            conv_norm_out / conv_out
 *   ResBlock children: in_layers.0 norm1, in_layers.2 conv1, emb_layers.1 time_emb_proj,
 *                      out_layers.0 norm2, out_layers.3 conv2, skip_connection conv_shortcut
 *   SpatialTransformer children (norm, proj_in, proj_out, transformer_blocks.n.{attn1,attn2,ff,norm1..3}) keep
 *   their names.
 * </pre>
 *
 * <h2>VAE (n = number of blocks, 4 for SD1/SD2)</h2>
 * <pre>
 *   encoder.down.i.block.j                   encoder.down_blocks.i.resnets.j
 *   encoder.down.i.downsample.conv           encoder.down_blocks.i.downsamplers.0.conv
 *   decoder.up.i.block.j                     decoder.up_blocks.(n-1-i).resnets.j     (LDM counts up blocks from the bottom)
 *   decoder.up.i.upsample.conv               decoder.up_blocks.(n-1-i).upsamplers.0.conv
 *   {en,de}coder.mid.block_1 / block_2       mid_block.resnets.0 / resnets.1
 *   {en,de}coder.mid.attn_1.norm             mid_block.attentions.0.group_norm
 *   {en,de}coder.mid.attn_1.{q,k,v,proj_out} mid_block.attentions.0.{to_q,to_k,to_v,to_out.0}
 *                                            1x1 conv [C,C,1,1] -> Linear [C,C]; bias [C] or [C,1,1] -> [C]
 *   {en,de}coder.norm_out                    {en,de}coder.conv_norm_out
 *   resnet child nin_shortcut                conv_shortcut
 * </pre>
 *
 * <h2>SD2 text encoder (OpenCLIP -> CLIPTextModel; D = hidden width)</h2>
 * <pre>
 *   token_embedding.weight                   text_model.embeddings.token_embedding.weight
 *   positional_embedding                     text_model.embeddings.position_embedding.weight
 *   ln_final                                 text_model.final_layer_norm
 *   transformer.resblocks.n.ln_1 / ln_2      text_model.encoder.layers.n.layer_norm1 / layer_norm2
 *   transformer.resblocks.n.mlp.c_fc / c_proj          ... mlp.fc1 / mlp.fc2
 *   transformer.resblocks.n.attn.out_proj              ... self_attn.out_proj
 *   transformer.resblocks.n.attn.in_proj_weight [3D,D] ... self_attn.{q,k,v}_proj.weight [D,D]  (rows split in thirds)
 *   transformer.resblocks.n.attn.in_proj_bias [3D]     ... self_attn.{q,k,v}_proj.bias [D]
 * </pre>
 *
 * <h2>Ignored keys</h2> See {@link #IGNORED}: the only keys a checkpoint may carry without a mapping
 * ({@code model_ema.*}, LDM schedule buffers, CLIP {@code position_ids}, OpenCLIP {@code text_projection},
 * {@code logit_scale}, {@code attn_mask} and blocks beyond {@code num_hidden_layers}). Any other key without a
 * mapping is an error.
 *
 * <h2>Diffusers folders</h2> Two small entries live here too, so that all old names stay in one place: pre-0.14
 * VAE attention names ({@code query/key/value/proj_attn}, see {@link #modernDiffusersVaeKey}) and the
 * {@code text_model.embeddings.position_ids} buffer ({@link #isIgnorableDiffusersKey}).
 */
public final class LdmKeyMap {

	private LdmKeyMap() {}

	public static final String UNET_PREFIX = "model.diffusion_model.";
	public static final String VAE_PREFIX = "first_stage_model.";
	public static final String CLIP_PREFIX = "cond_stage_model.transformer.";
	public static final String OPEN_CLIP_PREFIX = "cond_stage_model.model.";
	/** SDXL's text encoders; recognised only to refuse SDXL. */
	public static final String SDXL_PREFIX = "conditioner.embedders.";

	/** How a source tensor becomes the reference tensor. */
	public enum Transform {
		/** Same data, same shape. */
		NONE,
		/** Same data; trailing 1x1 kernel dimensions dropped ([C,C,1,1] -> [C,C], [C,1,1] -> [C]). */
		SQUEEZE_1X1,
		/** First, second, third block of rows of an OpenCLIP {@code in_proj} ([3D,...] -> [D,...]). */
		SPLIT_Q, SPLIT_K, SPLIT_V
	}

	/**
	 * An ignorable key.
	 *
	 * @param onlyBeyondTextLayers the pattern's group 1 is an OpenCLIP block index; the key is ignored only when that
	 *          block lies beyond the text encoder's {@code num_hidden_layers}
	 */
	public record Ignore(Pattern pattern, String reason, boolean onlyBeyondTextLayers) {
		Ignore(String regex, String reason) {
			this(Pattern.compile(regex), reason, false);
		}
	}

	/** Every key a single-file checkpoint may carry that no network needs, and why. */
	public static final List<Ignore> IGNORED = List.of(
		new Ignore("model_ema\\..+", "EMA copy of the UNet, kept by non-pruned training checkpoints"),
		new Ignore("(betas|alphas_cumprod|alphas_cumprod_prev|sqrt_alphas_cumprod|sqrt_one_minus_alphas_cumprod"
			+ "|log_one_minus_alphas_cumprod|sqrt_recip_alphas_cumprod|sqrt_recipm1_alphas_cumprod|posterior_variance"
			+ "|posterior_log_variance_clipped|posterior_mean_coef1|posterior_mean_coef2|lvlb_weights|logvar)",
			"LDM noise-schedule buffer; the scheduler config defines the schedule"),
		new Ignore("cond_stage_model\\.transformer\\.(text_model\\.)?embeddings\\.position_ids",
			"constant buffer 0..76 (non-persistent in transformers)"),
		new Ignore("cond_stage_model\\.model\\.(text_projection|logit_scale)",
			"OpenCLIP contrastive head; Stable Diffusion never uses it"),
		new Ignore("cond_stage_model\\.model\\.attn_mask", "OpenCLIP causal-mask buffer; the network builds its own"),
		new Ignore(Pattern.compile("cond_stage_model\\.model\\.transformer\\.resblocks\\.(\\d+)\\..+"),
			"OpenCLIP block beyond num_hidden_layers (SD 2.x uses the penultimate layer, so diffusers' text encoder "
				+ "has 23 of OpenCLIP's 24 blocks)", true));

	private static final String[][] UNET_TOP = {
		{"time_embed.0", "time_embedding.linear_1"}, {"time_embed.2", "time_embedding.linear_2"},
		{"input_blocks.0.0", "conv_in"}, {"out.0", "conv_norm_out"}, {"out.2", "conv_out"}};

	private static final String[][] UNET_RESNET = {
		{"in_layers.0", "norm1"}, {"in_layers.2", "conv1"}, {"emb_layers.1", "time_emb_proj"},
		{"out_layers.0", "norm2"}, {"out_layers.3", "conv2"}, {"skip_connection", "conv_shortcut"}};

	/** Children of a SpatialTransformer that keep their names. */
	private static final Pattern UNET_ATTENTION_CHILD = Pattern.compile("(norm|proj_in|proj_out)\\.(weight|bias)"
		+ "|transformer_blocks\\.\\d+\\.(attn[12]\\.(to_q|to_k|to_v)\\.weight|attn[12]\\.to_out\\.0\\.(weight|bias)"
		+ "|ff\\.net\\.0\\.proj\\.(weight|bias)|ff\\.net\\.2\\.(weight|bias)|norm[123]\\.(weight|bias))");

	private static final String[][] VAE_TOP = {
		{"encoder.conv_in", "encoder.conv_in"}, {"encoder.conv_out", "encoder.conv_out"},
		{"encoder.norm_out", "encoder.conv_norm_out"}, {"decoder.conv_in", "decoder.conv_in"},
		{"decoder.conv_out", "decoder.conv_out"}, {"decoder.norm_out", "decoder.conv_norm_out"},
		{"quant_conv", "quant_conv"}, {"post_quant_conv", "post_quant_conv"}};

	private static final String[][] VAE_RESNET = {
		{"norm1", "norm1"}, {"conv1", "conv1"}, {"norm2", "norm2"}, {"conv2", "conv2"},
		{"nin_shortcut", "conv_shortcut"}};

	private static final String[][] VAE_ATTENTION = {
		{"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};

	private static final Pattern CLIP_CHILD = Pattern.compile("text_model\\.(embeddings\\.(token_embedding|"
		+ "position_embedding)\\.weight|final_layer_norm\\.(weight|bias)|encoder\\.layers\\.\\d+\\.(self_attn\\."
		+ "(q_proj|k_proj|v_proj|out_proj)|layer_norm1|layer_norm2|mlp\\.fc1|mlp\\.fc2)\\.(weight|bias))");

	private static final String[][] OPEN_CLIP_TOP = {
		{"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
		{"positional_embedding", "text_model.embeddings.position_embedding.weight"},
		{"ln_final.weight", "text_model.final_layer_norm.weight"},
		{"ln_final.bias", "text_model.final_layer_norm.bias"}};

	private static final String[][] OPEN_CLIP_LAYER = {
		{"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"}, {"mlp.c_fc", "mlp.fc1"}, {"mlp.c_proj", "mlp.fc2"},
		{"attn.out_proj", "self_attn.out_proj"}};

	/**
	 * Diffusers folders written before diffusers 0.14 name the VAE mid-block attention
	 * {@code query/key/value/proj_attn}; they are read under today's names. (Not LDM, but an old name all the same.)
	 */
	private static final String[][] LEGACY_DIFFUSERS_VAE_ATTENTION = {
		{"query", "to_q"}, {"key", "to_k"}, {"value", "to_v"}, {"proj_attn", "to_out.0"}};

	private static final Pattern LEGACY_VAE_KEY =
		Pattern.compile("((?:encoder|decoder)\\.mid_block\\.attentions\\.\\d+\\.)(.+)");

	/** Today's diffusers name of a diffusers VAE key (unchanged unless it is a pre-0.14 attention name). */
	public static String modernDiffusersVaeKey(String key) {
		Matcher m = LEGACY_VAE_KEY.matcher(key);
		if (!m.matches()) return key;
		String renamed = child(LEGACY_DIFFUSERS_VAE_ATTENTION, m.group(2));
		return renamed == null ? key : m.group(1) + renamed;
	}

	/** Keys a diffusers/transformers file may carry that no network needs (constant buffers). */
	public static boolean isIgnorableDiffusersKey(String key) {
		return key.equals("text_model.embeddings.position_ids");
	}

	private static final Pattern INDEXED = Pattern.compile("(input_blocks|output_blocks|middle_block)\\.(\\d+)\\.(.+)");
	private static final Pattern SUB = Pattern.compile("(\\d+)\\.(.+)");
	private static final Pattern VAE_BLOCK = Pattern.compile("(encoder\\.down|decoder\\.up)\\.(\\d+)\\.(block\\.(\\d+)|"
		+ "downsample|upsample)\\.(.+)");
	private static final Pattern VAE_MID = Pattern.compile("(encoder|decoder)\\.mid\\.(block_1|block_2|attn_1)\\.(.+)");
	private static final Pattern OPEN_CLIP_BLOCK = Pattern.compile("transformer\\.resblocks\\.(\\d+)\\.(.+)");

	/** One reference tensor and where it comes from. */
	public record Target(Component component, String key, String source, Transform transform) {}

	/** The structure the index arithmetic depends on, read from the component configs. */
	public record Structure(int unetLayersPerBlock, int vaeBlocks, int textLayers) {}

	/**
	 * Maps one LDM key. Returns the targets it provides (three for an OpenCLIP {@code in_proj}), an empty list when
	 * the key is ignorable (see {@link #ignoreReason}), or {@code null} when the key has no mapping.
	 */
	public static List<Target> map(String ldmKey, ModelFamily family, Structure s) {
		if (ignoreReason(ldmKey, s) != null) return List.of();
		if (ldmKey.startsWith(UNET_PREFIX)) {
			String k = unet(ldmKey.substring(UNET_PREFIX.length()), s.unetLayersPerBlock());
			return k == null ? null : List.of(new Target(Component.UNET, k, ldmKey, Transform.NONE));
		}
		if (ldmKey.startsWith(VAE_PREFIX)) return vae(ldmKey, s.vaeBlocks());
		if (family == ModelFamily.SD1 && ldmKey.startsWith(CLIP_PREFIX)) {
			String rest = ldmKey.substring(CLIP_PREFIX.length());
			String k = rest.startsWith("text_model.") ? rest : "text_model." + rest;
			if (!CLIP_CHILD.matcher(k).matches() || !layerInRange(k, s.textLayers())) return null;
			return List.of(new Target(Component.TEXT_ENCODER, k, ldmKey, Transform.NONE));
		}
		if (family == ModelFamily.SD2 && ldmKey.startsWith(OPEN_CLIP_PREFIX)) return openClip(ldmKey);
		return null;
	}

	/** Why a key may be left unused, or {@code null} when it must be mapped. */
	public static String ignoreReason(String ldmKey, Structure s) {
		for (Ignore ig : IGNORED) {
			Matcher m = ig.pattern().matcher(ldmKey);
			if (!m.matches()) continue;
			if (!ig.onlyBeyondTextLayers() || Integer.parseInt(m.group(1)) >= s.textLayers()) return ig.reason();
		}
		return null;
	}

	private static boolean layerInRange(String clipKey, int layers) {
		Matcher m = Pattern.compile("text_model\\.encoder\\.layers\\.(\\d+)\\..+").matcher(clipKey);
		return !m.matches() || Integer.parseInt(m.group(1)) < layers;
	}

	/** Renames {@code module.param} by looking the module up in a two-column table; {@code null} if absent. */
	private static String child(String[][] table, String rest) {
		for (String[] row : table)
			if (rest.startsWith(row[0] + ".") && rest.indexOf('.', row[0].length() + 1) < 0)
				return row[1] + rest.substring(row[0].length());
		return null;
	}

	private static String prefixed(String prefix, String childOrNull) {
		return childOrNull == null ? null : prefix + childOrNull;
	}

	private static String unet(String k, int perBlock) {
		String top = child(UNET_TOP, k);
		if (top != null) return top;
		Matcher m = INDEXED.matcher(k);
		if (!m.matches()) return null;
		int idx = Integer.parseInt(m.group(2));
		if (m.group(1).equals("middle_block")) {
			String rest = m.group(3);
			return switch (idx) {
				case 0 -> prefixed("mid_block.resnets.0.", child(UNET_RESNET, rest));
				case 1 -> attention("mid_block.attentions.0.", rest);
				case 2 -> prefixed("mid_block.resnets.1.", child(UNET_RESNET, rest));
				default -> null;
			};
		}
		Matcher sm = SUB.matcher(m.group(3));
		if (!sm.matches()) return null;
		int sub = Integer.parseInt(sm.group(1));
		String rest = sm.group(2);
		switch (m.group(1)) {
			case "input_blocks" -> {
				if (idx == 0) return null;
				int i = (idx - 1) / (perBlock + 1), j = (idx - 1) % (perBlock + 1);
				String p = "down_blocks." + i + ".";
				if (j == perBlock) return sub == 0 && rest.startsWith("op.") && isParam(rest.substring(3))
					? p + "downsamplers.0.conv." + rest.substring(3) : null;
				if (sub == 0) return prefixed(p + "resnets." + j + ".", child(UNET_RESNET, rest));
				if (sub == 1) return attention(p + "attentions." + j + ".", rest);
				return null;
			}
			default -> { // output_blocks
				int i = idx / (perBlock + 1), j = idx % (perBlock + 1);
				String p = "up_blocks." + i + ".";
				if (sub == 0) return prefixed(p + "resnets." + j + ".", child(UNET_RESNET, rest));
				if ((sub == 1 || sub == 2) && rest.startsWith("conv.") && isParam(rest.substring(5)))
					return j == perBlock ? p + "upsamplers.0." + rest : null;
				if (sub == 1) return attention(p + "attentions." + j + ".", rest);
				return null;
			}
		}
	}

	private static boolean isParam(String s) {
		return s.equals("weight") || s.equals("bias");
	}

	private static String attention(String prefix, String rest) {
		return UNET_ATTENTION_CHILD.matcher(rest).matches() ? prefix + rest : null;
	}

	private static List<Target> vae(String ldmKey, int blocks) {
		String k = ldmKey.substring(VAE_PREFIX.length());
		String top = child(VAE_TOP, k);
		if (top != null) return List.of(new Target(Component.VAE, top, ldmKey, Transform.NONE));
		Matcher m = VAE_BLOCK.matcher(k);
		if (m.matches()) {
			boolean enc = m.group(1).equals("encoder.down");
			int i = Integer.parseInt(m.group(2));
			if (i >= blocks) return null;
			String p = enc ? "encoder.down_blocks." + i + "." : "decoder.up_blocks." + (blocks - 1 - i) + ".";
			String rest = m.group(5);
			String key;
			if (m.group(4) != null) key = prefixed(p + "resnets." + m.group(4) + ".", child(VAE_RESNET, rest));
			else if (m.group(3).equals(enc ? "downsample" : "upsample") && rest.startsWith("conv.")
				&& isParam(rest.substring(5)))
				key = p + (enc ? "downsamplers.0." : "upsamplers.0.") + rest;
			else key = null;
			return key == null ? null : List.of(new Target(Component.VAE, key, ldmKey, Transform.NONE));
		}
		m = VAE_MID.matcher(k);
		if (m.matches()) {
			String p = m.group(1) + ".mid_block.";
			String rest = m.group(3);
			if (m.group(2).equals("attn_1")) {
				String key = prefixed(p + "attentions.0.", child(VAE_ATTENTION, rest));
				if (key == null) return null;
				Transform t = rest.startsWith("norm.") ? Transform.NONE : Transform.SQUEEZE_1X1;
				return List.of(new Target(Component.VAE, key, ldmKey, t));
			}
			String key = prefixed(p + "resnets." + (m.group(2).equals("block_1") ? 0 : 1) + ".", child(VAE_RESNET, rest));
			return key == null ? null : List.of(new Target(Component.VAE, key, ldmKey, Transform.NONE));
		}
		return null;
	}

	private static List<Target> openClip(String ldmKey) {
		String k = ldmKey.substring(OPEN_CLIP_PREFIX.length());
		String top = null;
		for (String[] row : OPEN_CLIP_TOP)
			if (row[0].equals(k)) top = row[1];
		if (top != null) return List.of(new Target(Component.TEXT_ENCODER, top, ldmKey, Transform.NONE));
		Matcher m = OPEN_CLIP_BLOCK.matcher(k);
		if (!m.matches()) return null;
		String p = "text_model.encoder.layers." + m.group(1) + ".";
		String rest = m.group(2);
		if (rest.equals("attn.in_proj_weight") || rest.equals("attn.in_proj_bias")) {
			String param = rest.endsWith("weight") ? ".weight" : ".bias";
			return List.of(new Target(Component.TEXT_ENCODER, p + "self_attn.q_proj" + param, ldmKey, Transform.SPLIT_Q),
				new Target(Component.TEXT_ENCODER, p + "self_attn.k_proj" + param, ldmKey, Transform.SPLIT_K),
				new Target(Component.TEXT_ENCODER, p + "self_attn.v_proj" + param, ldmKey, Transform.SPLIT_V));
		}
		String key = prefixed(p, child(OPEN_CLIP_LAYER, rest));
		return key == null ? null : List.of(new Target(Component.TEXT_ENCODER, key, ldmKey, Transform.NONE));
	}

	/**
	 * The reference shape a transform produces from a source shape, or {@code null} when the source shape does not
	 * fit the transform.
	 */
	public static long[] targetShape(Transform t, long[] src) {
		return switch (t) {
			case NONE -> src.clone();
			case SQUEEZE_1X1 -> {
				if (src.length == 4 && src[2] == 1 && src[3] == 1 && src[0] == src[1]) yield new long[] {src[0], src[1]};
				if (src.length == 3 && src[1] == 1 && src[2] == 1) yield new long[] {src[0]};
				if (src.length == 2 && src[0] == src[1] || src.length == 1) yield src.clone();
				yield null;
			}
			case SPLIT_Q, SPLIT_K, SPLIT_V -> {
				if (src.length == 2 && src[0] == 3 * src[1]) yield new long[] {src[1], src[1]};
				if (src.length == 1 && src[0] % 3 == 0 && src[0] > 0) yield new long[] {src[0] / 3};
				yield null;
			}
		};
	}

	/** Which third of the rows a split takes (0, 1, 2), or -1 for other transforms. */
	public static int splitPart(Transform t) {
		return switch (t) {
			case SPLIT_Q -> 0;
			case SPLIT_K -> 1;
			case SPLIT_V -> 2;
			default -> -1;
		};
	}

	/**
	 * The mapped reference key/shape sets of a checkpoint, or the defects that prevent mapping it. When there are
	 * defects, {@code targets} may list keys whose source has an unusable shape (they have no entry in {@code shapes}).
	 */
	public record Mapping(Map<Component, Map<String, Target>> targets, Map<Component, Map<String, long[]>> shapes,
		Map<String, String> ignored, List<String> defects) {}

	/**
	 * Maps every key of a checkpoint given as name -> shape. Collects all defects (unmapped keys, unexpected shapes,
	 * two sources for one target) instead of stopping at the first.
	 */
	public static Mapping mapAll(Map<String, long[]> ldmShapes, ModelFamily family, Structure s) {
		Map<Component, Map<String, Target>> targets = new LinkedHashMap<>();
		Map<Component, Map<String, long[]>> shapes = new LinkedHashMap<>();
		for (Component c : Component.values()) {
			targets.put(c, new LinkedHashMap<>());
			shapes.put(c, new LinkedHashMap<>());
		}
		Map<String, String> ignored = new TreeMap<>();
		List<String> unmapped = new ArrayList<>();
		List<String> defects = new ArrayList<>();
		for (Map.Entry<String, long[]> e : ldmShapes.entrySet()) {
			String key = e.getKey();
			String why = ignoreReason(key, s);
			if (why != null) {
				ignored.put(key, why);
				continue;
			}
			List<Target> ts = map(key, family, s);
			if (ts == null) {
				unmapped.add(key);
				continue;
			}
			for (Target t : ts) {
				long[] shape = targetShape(t.transform(), e.getValue());
				Target old = targets.get(t.component()).put(t.key(), t);
				if (shape == null) {
					// the target stays listed (so it is not also reported missing); one message per source key
					if (t == ts.get(0)) defects.add("'" + key + "' has shape " + Arrays.toString(e.getValue()) +
						", which cannot become '" + t.key() + "'" + (ts.size() > 1 ? " and " + (ts.size() - 1) + " more" : "") +
						" (" + describe(t.transform()) + ")");
					continue;
				}
				if (old != null) defects.add("'" + t.key() + "' is provided twice: by '" + old.source() + "' and by '" +
					key + "'");
				shapes.get(t.component()).put(t.key(), shape);
			}
		}
		if (!unmapped.isEmpty()) {
			unmapped.sort(null);
			defects.add(0, unmapped.size() + " key(s) with no known " + family + " mapping: " + list(unmapped));
		}
		return new Mapping(targets, shapes, ignored, defects);
	}

	private static String describe(Transform t) {
		return switch (t) {
			case NONE -> "copied as is";
			case SQUEEZE_1X1 -> "expected a 1x1 kernel [C,C,1,1] or [C,C], or a bias [C] or [C,1,1]";
			default -> "expected an OpenCLIP in_proj of shape [3D,D] or [3D]";
		};
	}

	/** At most 20 items, then a count. */
	static String list(List<String> items) {
		int n = Math.min(items.size(), 20);
		String s = String.join(", ", items.subList(0, n));
		return items.size() > n ? s + ", ... (" + (items.size() - n) + " more)" : s;
	}
}
