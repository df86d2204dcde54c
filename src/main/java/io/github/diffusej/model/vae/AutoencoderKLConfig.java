package io.github.diffusej.model.vae;

import com.google.gson.annotations.SerializedName;
import io.github.diffusej.model.Configs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** diffusers {@code AutoencoderKL} config ({@code vae/config.json}); nulls take diffusers 0.25.1 defaults. */
public record AutoencoderKLConfig(
	@SerializedName("in_channels") Integer inChannels,
	@SerializedName("out_channels") Integer outChannels,
	@SerializedName("down_block_types") List<String> downBlockTypes,
	@SerializedName("up_block_types") List<String> upBlockTypes,
	@SerializedName("block_out_channels") List<Integer> blockOutChannels,
	@SerializedName("layers_per_block") Integer layersPerBlock,
	@SerializedName("act_fn") String actFn,
	@SerializedName("latent_channels") Integer latentChannels,
	@SerializedName("norm_num_groups") Integer normNumGroups,
	@SerializedName("sample_size") Integer sampleSize,
	@SerializedName("scaling_factor") Double scalingFactor,
	@SerializedName("force_upcast") Boolean forceUpcast)
{

	public AutoencoderKLConfig {
		inChannels = inChannels == null ? 3 : inChannels;
		outChannels = outChannels == null ? 3 : outChannels;
		downBlockTypes = downBlockTypes == null ? List.of("DownEncoderBlock2D") : List.copyOf(downBlockTypes);
		upBlockTypes = upBlockTypes == null ? List.of("UpDecoderBlock2D") : List.copyOf(upBlockTypes);
		blockOutChannels = blockOutChannels == null ? List.of(64) : List.copyOf(blockOutChannels);
		layersPerBlock = layersPerBlock == null ? 1 : layersPerBlock;
		actFn = actFn == null ? "silu" : actFn;
		latentChannels = latentChannels == null ? 4 : latentChannels;
		normNumGroups = normNumGroups == null ? 32 : normNumGroups;
		sampleSize = sampleSize == null ? 32 : sampleSize;
		scalingFactor = scalingFactor == null ? 0.18215 : scalingFactor;
		forceUpcast = forceUpcast == null ? Boolean.TRUE : forceUpcast;
		if (!actFn.equals("silu")) throw new IllegalArgumentException("VAE act_fn '" + actFn + "' is not supported");
		for (String t : downBlockTypes) {
			if (!t.equals("DownEncoderBlock2D")) throw new IllegalArgumentException("unknown VAE down block type '"
				+ t + "' (supported: DownEncoderBlock2D)");
		}
		for (String t : upBlockTypes) {
			if (!t.equals("UpDecoderBlock2D")) throw new IllegalArgumentException("unknown VAE up block type '" + t
				+ "' (supported: UpDecoderBlock2D)");
		}
		if (downBlockTypes.size() != blockOutChannels.size() || upBlockTypes.size() != blockOutChannels.size())
			throw new IllegalArgumentException("VAE config has " + blockOutChannels.size() + " block_out_channels, "
				+ downBlockTypes.size() + " down and " + upBlockTypes.size() + " up blocks");
		Configs.checkRange("in_channels", inChannels, 1, 1024);
		Configs.checkRange("out_channels", outChannels, 1, 1024);
		Configs.checkRange("latent_channels", latentChannels, 1, 1024);
		Configs.checkRange("block_out_channels (number of blocks)", blockOutChannels.size(), 1, 8);
		Configs.checkEach("block_out_channels", blockOutChannels, 1, 16_384);
		Configs.checkRange("layers_per_block", layersPerBlock, 1, 64);
		Configs.checkGroups("norm_num_groups", normNumGroups, "block_out_channels", blockOutChannels);
		Configs.checkRange("sample_size", sampleSize, 1, 65_536);
		Configs.checkPositive("scaling_factor", scalingFactor);
	}

	/** Keys of real config files that have no effect here (dropout at inference, token ids, bookkeeping). */
	public static final java.util.Set<String> IGNORED_KEYS = java.util.Set.of();

	public static AutoencoderKLConfig read(Path configJson) throws IOException {
		return Configs.read(configJson, AutoencoderKLConfig.class, IGNORED_KEYS);
	}
}
