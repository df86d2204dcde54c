package io.github.diffusej.model.unet;

import com.google.gson.JsonElement;
import com.google.gson.annotations.SerializedName;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.IntOrList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * diffusers {@code UNet2DConditionModel} config ({@code unet/config.json}). Nulls take diffusers 0.25.1 defaults;
 * int-or-list fields are expanded to one value per down block; options this port does not implement are refused
 * with a message naming them (SDXL's {@code addition_embed_type "text_time"} first of all).
 *
 * <p>diffusers naming quirk: in SD1/SD2 configs {@code attention_head_dim} is really the number of heads
 * ({@code num_attention_heads = num_attention_heads or attention_head_dim}); see {@link #heads()}.
 */
public record UNet2DConditionConfig(
	@SerializedName("sample_size") Integer sampleSize,
	@SerializedName("in_channels") Integer inChannels,
	@SerializedName("out_channels") Integer outChannels,
	@SerializedName("center_input_sample") Boolean centerInputSample,
	@SerializedName("flip_sin_to_cos") Boolean flipSinToCos,
	@SerializedName("freq_shift") Integer freqShift,
	@SerializedName("down_block_types") List<String> downBlockTypes,
	@SerializedName("mid_block_type") String midBlockType,
	@SerializedName("up_block_types") List<String> upBlockTypes,
	@SerializedName("only_cross_attention") JsonElement onlyCrossAttention,
	@SerializedName("block_out_channels") List<Integer> blockOutChannels,
	@SerializedName("layers_per_block") IntOrList layersPerBlock,
	@SerializedName("downsample_padding") Integer downsamplePadding,
	@SerializedName("mid_block_scale_factor") Double midBlockScaleFactor,
	@SerializedName("act_fn") String actFn,
	@SerializedName("norm_num_groups") Integer normNumGroups,
	@SerializedName("norm_eps") Double normEps,
	@SerializedName("cross_attention_dim") IntOrList crossAttentionDim,
	@SerializedName("transformer_layers_per_block") IntOrList transformerLayersPerBlock,
	@SerializedName("reverse_transformer_layers_per_block") JsonElement reverseTransformerLayersPerBlock,
	@SerializedName("attention_head_dim") IntOrList attentionHeadDim,
	@SerializedName("num_attention_heads") IntOrList numAttentionHeads,
	@SerializedName("dual_cross_attention") Boolean dualCrossAttention,
	@SerializedName("use_linear_projection") Boolean useLinearProjection,
	@SerializedName("class_embed_type") String classEmbedType,
	@SerializedName("addition_embed_type") String additionEmbedType,
	@SerializedName("num_class_embeds") Integer numClassEmbeds,
	@SerializedName("upcast_attention") Boolean upcastAttention,
	@SerializedName("resnet_time_scale_shift") String resnetTimeScaleShift,
	@SerializedName("resnet_skip_time_act") Boolean resnetSkipTimeAct,
	@SerializedName("resnet_out_scale_factor") Double resnetOutScaleFactor,
	@SerializedName("time_embedding_type") String timeEmbeddingType,
	@SerializedName("time_embedding_dim") Integer timeEmbeddingDim,
	@SerializedName("time_embedding_act_fn") String timeEmbeddingActFn,
	@SerializedName("timestep_post_act") String timestepPostAct,
	@SerializedName("time_cond_proj_dim") Integer timeCondProjDim,
	@SerializedName("conv_in_kernel") Integer convInKernel,
	@SerializedName("conv_out_kernel") Integer convOutKernel,
	@SerializedName("attention_type") String attentionType,
	@SerializedName("encoder_hid_dim") Integer encoderHidDim,
	@SerializedName("encoder_hid_dim_type") String encoderHidDimType,
	@SerializedName("mid_block_only_cross_attention") Boolean midBlockOnlyCrossAttention,
	@SerializedName("cross_attention_norm") String crossAttentionNorm)
{

	public UNet2DConditionConfig {
		String headsKey = numAttentionHeads != null ? "num_attention_heads" : "attention_head_dim";
		if (additionEmbedType != null) throw new IllegalArgumentException("SDXL is not supported yet: this UNet "
			+ "config has addition_embed_type '" + additionEmbedType + "' (SDXL-style added text/time conditioning)");
		inChannels = or(inChannels, 4);
		outChannels = or(outChannels, 4);
		centerInputSample = or(centerInputSample, false);
		flipSinToCos = or(flipSinToCos, true);
		freqShift = or(freqShift, 0);
		downBlockTypes = List.copyOf(downBlockTypes == null ? List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
			"CrossAttnDownBlock2D", "DownBlock2D") : downBlockTypes);
		midBlockType = or(midBlockType, "UNetMidBlock2DCrossAttn");
		upBlockTypes = List.copyOf(upBlockTypes == null ? List.of("UpBlock2D", "CrossAttnUpBlock2D",
			"CrossAttnUpBlock2D", "CrossAttnUpBlock2D") : upBlockTypes);
		blockOutChannels = List.copyOf(blockOutChannels == null ? List.of(320, 640, 1280, 1280) : blockOutChannels);
		int n = blockOutChannels.size();
		Configs.checkRange("block_out_channels (number of blocks)", n, 1, 8);
		layersPerBlock = expand(or(layersPerBlock, IntOrList.of(2)), n, "layers_per_block");
		downsamplePadding = or(downsamplePadding, 1);
		midBlockScaleFactor = or(midBlockScaleFactor, 1.0);
		actFn = or(actFn, "silu");
		normNumGroups = or(normNumGroups, 32);
		normEps = or(normEps, 1e-5);
		crossAttentionDim = expand(or(crossAttentionDim, IntOrList.of(1280)), n, "cross_attention_dim");
		transformerLayersPerBlock = expand(or(transformerLayersPerBlock, IntOrList.of(1)), n,
			"transformer_layers_per_block");
		attentionHeadDim = expand(or(attentionHeadDim, IntOrList.of(8)), n, "attention_head_dim");
		numAttentionHeads = expand(or(numAttentionHeads, attentionHeadDim), n, "num_attention_heads");
		dualCrossAttention = or(dualCrossAttention, false);
		useLinearProjection = or(useLinearProjection, false);
		upcastAttention = or(upcastAttention, false);
		resnetTimeScaleShift = or(resnetTimeScaleShift, "default");
		resnetSkipTimeAct = or(resnetSkipTimeAct, false);
		resnetOutScaleFactor = or(resnetOutScaleFactor, 1.0);
		timeEmbeddingType = or(timeEmbeddingType, "positional");
		convInKernel = or(convInKernel, 3);
		convOutKernel = or(convOutKernel, 3);
		attentionType = or(attentionType, "default");

		if (downBlockTypes.size() != n || upBlockTypes.size() != n) throw new IllegalArgumentException(
			"UNet config has " + n + " block_out_channels but " + downBlockTypes.size() + " down and "
				+ upBlockTypes.size() + " up blocks");
		for (String t : downBlockTypes) {
			if (!t.equals("CrossAttnDownBlock2D") && !t.equals("DownBlock2D")) throw new IllegalArgumentException(
				"unknown UNet down block type '" + t + "' (supported: CrossAttnDownBlock2D, DownBlock2D)");
		}
		for (String t : upBlockTypes) {
			if (!t.equals("CrossAttnUpBlock2D") && !t.equals("UpBlock2D")) throw new IllegalArgumentException(
				"unknown UNet up block type '" + t + "' (supported: CrossAttnUpBlock2D, UpBlock2D)");
		}
		if (!midBlockType.equals("UNetMidBlock2DCrossAttn")) throw new IllegalArgumentException(
			"unknown UNet mid block type '" + midBlockType + "' (supported: UNetMidBlock2DCrossAttn)");
		unsupported(onlyCrossAttention != null && !onlyCrossAttention.isJsonNull()
			&& !(onlyCrossAttention.isJsonPrimitive() && !onlyCrossAttention.getAsBoolean()), "only_cross_attention");
		unsupported(reverseTransformerLayersPerBlock != null && !reverseTransformerLayersPerBlock.isJsonNull(),
			"reverse_transformer_layers_per_block");
		unsupported(dualCrossAttention, "dual_cross_attention");
		unsupported(classEmbedType != null, "class_embed_type");
		unsupported(numClassEmbeds != null, "num_class_embeds");
		unsupported(!resnetTimeScaleShift.equals("default"), "resnet_time_scale_shift '" + resnetTimeScaleShift + "'");
		unsupported(resnetSkipTimeAct, "resnet_skip_time_act");
		unsupported(resnetOutScaleFactor != 1.0, "resnet_out_scale_factor " + resnetOutScaleFactor);
		unsupported(midBlockScaleFactor != 1.0, "mid_block_scale_factor " + midBlockScaleFactor);
		unsupported(!timeEmbeddingType.equals("positional"), "time_embedding_type '" + timeEmbeddingType + "'");
		unsupported(timeEmbeddingDim != null, "time_embedding_dim");
		unsupported(timeEmbeddingActFn != null, "time_embedding_act_fn");
		unsupported(timestepPostAct != null, "timestep_post_act");
		unsupported(timeCondProjDim != null, "time_cond_proj_dim");
		unsupported(!attentionType.equals("default"), "attention_type '" + attentionType + "'");
		unsupported(encoderHidDim != null || encoderHidDimType != null, "encoder_hid_dim");
		unsupported(midBlockOnlyCrossAttention != null && midBlockOnlyCrossAttention, "mid_block_only_cross_attention");
		unsupported(crossAttentionNorm != null, "cross_attention_norm");
		unsupported(!actFn.equals("silu"), "act_fn '" + actFn + "'");
		unsupported(convInKernel % 2 == 0 || convOutKernel % 2 == 0, "even conv_in/conv_out kernels");
		checkRanges(sampleSize, inChannels, outChannels, freqShift, blockOutChannels, layersPerBlock, downsamplePadding,
			normNumGroups, normEps, crossAttentionDim, transformerLayersPerBlock, convInKernel, convOutKernel);
		int[] heads = numAttentionHeads.values();
		for (int i = 0; i < n; i++) {
			Configs.checkRange(headsKey + "[" + i + "]", heads[i], 1, blockOutChannels.get(i));
			if (blockOutChannels.get(i) % heads[i] != 0) throw new IllegalArgumentException("block " + i + ": "
				+ "block_out_channels[" + i + "] = " + blockOutChannels.get(i) + " is not divisible by " + headsKey + "["
				+ i + "] = " + heads[i] + " attention heads");
		}
	}

	/** The largest per-block channel count accepted (SD uses 1280); larger ones are refused before anything is built. */
	public static final int MAX_CHANNELS = 16_384;
	/** The most layers per block accepted (SD uses 1 to 10). */
	public static final int MAX_LAYERS = 64;

	/**
	 * Bounds on every size the network is built from, so that a hostile or damaged config cannot make it build
	 * millions of modules or allocate absurd weights; each message names the key.
	 */
	private static void checkRanges(Integer sampleSize, int inChannels, int outChannels, int freqShift,
		List<Integer> blockOutChannels, IntOrList layersPerBlock, int downsamplePadding, int normNumGroups,
		double normEps, IntOrList crossAttentionDim, IntOrList transformerLayersPerBlock, int convInKernel,
		int convOutKernel)
	{
		if (sampleSize != null) Configs.checkRange("sample_size", sampleSize, 1, 4096);
		Configs.checkRange("in_channels", inChannels, 1, 1024);
		Configs.checkRange("out_channels", outChannels, 1, 1024);
		Configs.checkRange("freq_shift", freqShift, 0, 1000);
		Configs.checkRange("block_out_channels (number of blocks)", blockOutChannels.size(), 1, 8);
		Configs.checkEach("block_out_channels", blockOutChannels, 1, MAX_CHANNELS);
		Configs.checkEach("layers_per_block", layersPerBlock.values(), 1, MAX_LAYERS);
		Configs.checkRange("downsample_padding", downsamplePadding, 0, 8);
		Configs.checkGroups("norm_num_groups", normNumGroups, "block_out_channels", blockOutChannels);
		Configs.checkPositive("norm_eps", normEps);
		Configs.checkEach("cross_attention_dim", crossAttentionDim.values(), 1, MAX_CHANNELS);
		Configs.checkEach("transformer_layers_per_block", transformerLayersPerBlock.values(), 1, MAX_LAYERS);
		Configs.checkRange("conv_in_kernel", convInKernel, 1, 15);
		Configs.checkRange("conv_out_kernel", convOutKernel, 1, 15);
	}

	private static <T> T or(T v, T dflt) {
		return v == null ? dflt : v;
	}

	private static IntOrList expand(IntOrList v, int n, String field) {
		return new IntOrList(v.perBlock(n, field), false);
	}

	private static void unsupported(boolean present, String what) {
		if (present) throw new IllegalArgumentException("UNet option " + what + " is not supported");
	}

	/** Keys of real config files that have no effect here (dropout at inference, token ids, bookkeeping). */
	public static final java.util.Set<String> IGNORED_KEYS = java.util.Set.of("dropout",
		"addition_embed_type_num_heads", "addition_time_embed_dim",
		"projection_class_embeddings_input_dim", "class_embeddings_concat");

	public static UNet2DConditionConfig read(Path configJson) throws IOException {
		return Configs.read(configJson, UNet2DConditionConfig.class, IGNORED_KEYS);
	}

	public int blocks() {
		return blockOutChannels.size();
	}

	/** Attention heads per down block ({@code num_attention_heads or attention_head_dim}). */
	public int[] heads() {
		return numAttentionHeads.values().clone();
	}

	public int timeEmbedDim() {
		return blockOutChannels.get(0) * 4;
	}
}
