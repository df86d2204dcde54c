package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.Network;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
		return BlockScope.run(() -> quantConv.forward(encoder.forward(image)));
	}

	/** image [B, 3, H, W] in [-1, 1] -> posterior over [B, L, H/f, W/f]. */
	public DiagonalGaussianDistribution encode(NDArray image) {
		return DiagonalGaussianDistribution.of(moments(image));
	}

	/** latents [B, L, h, w] (already divided by the scaling factor) -> image [B, 3, h·f, w·f], unclamped. */
	public NDArray decode(NDArray latents) {
		return BlockScope.run(() -> decoder.forward(postQuantConv.forward(latents)));
	}

	/**
	 * {@link #decode} in overlapping tiles, for images too large to decode at once: diffusers'
	 * {@code tiled_decode}. Tiles of {@code tile} latent pixels start every {@code tile·(1 - overlap)} latents;
	 * where neighbours overlap, the upper/left tile fades linearly into the lower/right one over
	 * {@code tile·f·overlap} image pixels, and each tile keeps its first {@code tile·f·(1 - overlap)} rows and
	 * columns. Memory is that of one tile's decode plus the image. Latents no larger than one tile decode at once.
	 *
	 * @param tile tile side in latent pixels (diffusers: the config's sample_size / f, 64 for SD)
	 * @param overlap share of a tile that overlaps its neighbour (diffusers: 0.25)
	 */
	public NDArray decodeTiled(NDArray latents, int tile, double overlap) {
		if (tile < 2 || overlap < 0 || overlap >= 1) throw new IllegalArgumentException("tile " + tile + ", overlap "
			+ overlap + ": need tile >= 2 and 0 <= overlap < 1");
		long h = latents.getShape().get(2), w = latents.getShape().get(3);
		if (h <= tile && w <= tile) return decode(latents);
		int f = 1 << (config.blockOutChannels().size() - 1);
		int stride = (int) (tile * (1 - overlap));
		int blend = (int) (tile * f * overlap);
		int limit = tile * f - blend;
		return BlockScope.run(() -> {
			List<List<NDArray>> rows = new ArrayList<>();
			for (long i = 0; i < h; i += stride) {
				List<NDArray> row = new ArrayList<>();
				for (long j = 0; j < w; j += stride) {
					NDArray part = latents.get(new NDIndex(":, :, {}:{}, {}:{}", i, Math.min(h, i + tile), j,
						Math.min(w, j + tile)));
					row.add(decode(part));
					BlockScope.free(part);
				}
				rows.add(row);
			}
			NDList out = new NDList();
			for (int r = 0; r < rows.size(); r++) {
				NDList cols = new NDList();
				for (int c = 0; c < rows.get(r).size(); c++) {
					NDArray t = rows.get(r).get(c);
					if (r > 0) t = blend(rows.get(r - 1).get(c), t, blend, 2);
					if (c > 0) t = blend(rows.get(r).get(c - 1), t, blend, 3);
					rows.get(r).set(c, t);
					cols.add(t.get(new NDIndex(":, :, :{}, :{}", limit, limit)));
				}
				out.add(NDArrays.concat(cols, 3));
			}
			return NDArrays.concat(out, 2);
		});
	}

	/**
	 * {@code b} with its first {@code extent} rows (axis 2) or columns (axis 3) faded in from the last ones of
	 * {@code a}: weight {@code y / extent} on b, {@code 1 - y / extent} on a (diffusers' blend_v / blend_h).
	 */
	private static NDArray blend(NDArray a, NDArray b, int extent, int axis) {
		extent = (int) Math.min(extent, Math.min(a.getShape().get(axis), b.getShape().get(axis)));
		if (extent == 0) return b;
		long la = a.getShape().get(axis);
		String head = axis == 2 ? ":, :, :{}, :" : ":, :, :, :{}";
		String tail = axis == 2 ? ":, :, {}:, :" : ":, :, :, {}:";
		String rest = axis == 2 ? ":, :, {}:, :" : ":, :, :, {}:";
		long[] ws = {1, 1, 1, 1};
		ws[axis] = extent;
		NDArray wt = b.getManager().arange(0, extent, 1, b.getDataType()).div(extent).reshape(ws);
		NDArray mixed = a.get(new NDIndex(tail, la - extent)).mul(wt.neg().add(1))
			.add(b.get(new NDIndex(head, extent)).mul(wt));
		return NDArrays.concat(new NDList(mixed, b.get(new NDIndex(rest, extent))), axis);
	}
}
