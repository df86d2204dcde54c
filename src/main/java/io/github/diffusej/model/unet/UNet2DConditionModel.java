package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Ops;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * diffusers {@code UNet2DConditionModel} (Rombach et al. 2022; Ronneberger et al. 2015) for SD1.x/SD2.x, driven by
 * {@link UNet2DConditionConfig}. Predicts noise (or v) for latents at a timestep given text embeddings.
 *
 * <p>Legend: B batch, C latent channels (4), H/W latent size, S context tokens (77), Cc context width.
 */
public final class UNet2DConditionModel extends Network {

	private final UNet2DConditionConfig config;
	private final Conv2d convIn;
	private final Timesteps timeProj;
	private final TimestepEmbedding timeEmbedding;
	private final List<UNetDownBlock> downBlocks = new ArrayList<>();
	private final UNetMidBlock2DCrossAttn midBlock;
	private final List<UNetUpBlock> upBlocks = new ArrayList<>();
	private final GroupNorm convNormOut;
	private final Conv2d convOut;

	/** Builds the network with declared shapes only; call {@link #loadWeights} to allocate. */
	public UNet2DConditionModel(UNet2DConditionConfig c) {
		this.config = c;
		int n = c.blocks();
		List<Integer> ch = c.blockOutChannels();
		int[] layers = c.layersPerBlock().values();
		int[] heads = c.heads();
		int[] cross = c.crossAttentionDim().values();
		int[] tl = c.transformerLayersPerBlock().values();
		long temb = c.timeEmbedDim();
		int g = c.normNumGroups();
		double eps = c.normEps();
		boolean lin = c.useLinearProjection();
		boolean up = c.upcastAttention();

		convIn = child("conv_in", new Conv2d(c.inChannels(), ch.get(0), c.convInKernel(), 1,
			(c.convInKernel() - 1) / 2));
		timeProj = new Timesteps(ch.get(0), c.flipSinToCos(), c.freqShift());
		timeEmbedding = child("time_embedding", new TimestepEmbedding(ch.get(0), temb));

		long out = ch.get(0);
		for (int i = 0; i < n; i++) {
			long in = out;
			out = ch.get(i);
			BlockSpec s = new BlockSpec(in, out, 0, temb, layers[i], tl[i], heads[i], cross[i], g, eps, lin, up,
				i < n - 1, c.downsamplePadding());
			UNetDownBlock d = UNetDownBlock.create(c.downBlockTypes().get(i), s);
			child("down_blocks." + i, (Module) d);
			downBlocks.add(d);
		}
		midBlock = child("mid_block", new UNetMidBlock2DCrossAttn(new BlockSpec(ch.get(n - 1), ch.get(n - 1), 0, temb,
			1, tl[n - 1], heads[n - 1], cross[n - 1], g, eps, lin, up, false, 0)));
		out = ch.get(n - 1);
		for (int i = 0; i < n; i++) {
			int r = n - 1 - i; // the down level this up block mirrors
			long prev = out;
			out = ch.get(r);
			long skip = ch.get(Math.max(r - 1, 0));
			BlockSpec s = new BlockSpec(prev, out, skip, temb, layers[r] + 1, tl[r], heads[r], cross[r], g, eps, lin,
				up, i < n - 1, 0);
			UNetUpBlock u = UNetUpBlock.create(c.upBlockTypes().get(i), s);
			child("up_blocks." + i, (Module) u);
			upBlocks.add(u);
		}
		convNormOut = child("conv_norm_out", new GroupNorm(g, ch.get(0), eps));
		convOut = child("conv_out", new Conv2d(ch.get(0), c.outChannels(), c.convOutKernel(), 1,
			(c.convOutKernel() - 1) / 2));
	}

	/** Builds from a diffusers {@code unet/} folder reading its {@code config.json}. */
	public static UNet2DConditionModel fromConfig(Path folder) throws IOException {
		return new UNet2DConditionModel(UNet2DConditionConfig.read(folder.resolve("config.json")));
	}

	public UNet2DConditionConfig config() {
		return config;
	}

	/** A Python-number timestep (int or fractional) shared by the whole batch. */
	public NDArray forward(NDArray sample, double timestep, NDArray context) {
		return forward(sample, sample.getManager().create(new float[] {(float) timestep}), context);
	}

	/**
	 * sample [B, C, H, W], timesteps [] / [1] / [B] (int64 or float; fractional values allowed), context
	 * [B, S, Cc] -> [B, C, H, W] in the dtype of {@code sample}.
	 */
	public NDArray forward(NDArray sample, NDArray timesteps, NDArray context) {
		long b = sample.getShape().get(0);
		// Results of ops belong to their left operand's manager: the context (made once per image) and the
		// timesteps may live outside the caller's per-step scope, and the keys/values computed from them would then
		// pile up there, step after step. Views owned by the sample's manager keep every temporary in its scope.
		context = scopedView(context, sample);
		NDArray t = scopedView(timesteps, sample).reshape(-1);
		if (!t.getDevice().equals(sample.getDevice())) t = t.toDevice(sample.getDevice(), false);
		if (t.size() == 1 && b > 1) t = t.broadcast(b);
		else if (t.size() != b) throw new IllegalArgumentException(t.size() + " timesteps for a batch of " + b);
		NDArray tEmb = timeProj.forward(t); // [B, C0] float32
		if (tEmb.getDataType() != sample.getDataType()) tEmb = tEmb.toType(sample.getDataType(), false);
		NDArray temb = timeEmbedding.forward(tEmb); // [B, 4·C0]
		if (context.getDataType() != sample.getDataType()) throw new IllegalArgumentException(
			"context is " + context.getDataType() + " but sample is " + sample.getDataType());

		NDArray x = config.centerInputSample() ? sample.mul(2).sub(1) : sample;
		x = convIn.forward(x);
		List<NDArray> skips = new ArrayList<>();
		skips.add(x);
		for (UNetDownBlock d : downBlocks) x = d.forward(x, temb, context, skips);
		x = midBlock.forward(x, temb, context);
		Deque<NDArray> stack = new ArrayDeque<>();
		for (NDArray s : skips) stack.push(s); // last skip on top
		for (UNetUpBlock u : upBlocks) {
			x = u.forward(x, temb, context, stack, sizeAfter(stack, u.layers()));
		}
		return convOut.forward(Ops.silu(convNormOut.forward(x)));
	}

	private static NDArray scopedView(NDArray a, NDArray scopeOf) {
		if (a.getManager() == scopeOf.getManager()) return a;
		NDArray view = a.reshape(a.getShape());
		view.attach(scopeOf.getManager());
		return view;
	}

	/** Spatial size of the skip this up block's upsampler must reach: the first skip left after its own. */
	private static long[] sizeAfter(Deque<NDArray> stack, int consumed) {
		int i = 0;
		for (NDArray s : stack) {
			if (i++ == consumed) return new long[] {s.getShape().get(2), s.getShape().get(3)};
		}
		return null;
	}
}
