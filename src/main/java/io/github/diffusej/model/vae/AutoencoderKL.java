package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.Network;
import java.io.IOException;
import java.nio.file.Path;

/**
 * diffusers {@code AutoencoderKL} (Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion
 * Models"). {@link #encode} returns the posterior of {@code quant_conv(encoder(x))}; {@link #decode} is
 * {@code decoder(post_quant_conv(z))}. Neither applies {@link #scalingFactor()}: callers multiply latents by it
 * after encoding and divide before decoding, as diffusers pipelines do.
 *
 * <p>Legend: B batch, L latent channels, H/W image size, f = 2^(blocks-1) spatial factor.
 */
public final class AutoencoderKL extends Network {

	private final AutoencoderKLConfig config;
	private final Encoder encoder;
	private final Decoder decoder;
	private final Conv2d quantConv;
	private final Conv2d postQuantConv;

	/** Builds the network with declared shapes only; call {@link #loadWeights} to allocate. */
	public AutoencoderKL(AutoencoderKLConfig config) {
		this.config = config;
		long l = config.latentChannels();
		encoder = child("encoder", new Encoder(config));
		decoder = child("decoder", new Decoder(config));
		quantConv = child("quant_conv", new Conv2d(2 * l, 2 * l, 1, 1, 0));
		postQuantConv = child("post_quant_conv", new Conv2d(l, l, 1, 1, 0));
	}

	/** Builds from a diffusers {@code vae/} folder reading its {@code config.json}. */
	public static AutoencoderKL fromConfig(Path folder) throws IOException {
		return new AutoencoderKL(AutoencoderKLConfig.read(folder.resolve("config.json")));
	}

	public AutoencoderKLConfig config() {
		return config;
	}

	public double scalingFactor() {
		return config.scalingFactor();
	}

	/** image [B, 3, H, W] in [-1, 1] -> moments [B, 2L, H/f, W/f]. */
	public NDArray moments(NDArray image) {
		return quantConv.forward(encoder.forward(image));
	}

	/** image [B, 3, H, W] in [-1, 1] -> posterior over [B, L, H/f, W/f]. */
	public DiagonalGaussianDistribution encode(NDArray image) {
		return DiagonalGaussianDistribution.of(moments(image));
	}

	/** latents [B, L, h, w] (already divided by the scaling factor) -> image [B, 3, h·f, w·f], unclamped. */
	public NDArray decode(NDArray latents) {
		return decoder.forward(postQuantConv.forward(latents));
	}
}
