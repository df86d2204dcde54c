package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.NativeHeap;
import io.github.diffusej.model.nn.Conv2d;
import io.github.diffusej.model.nn.GroupNorm;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Ops;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
	private boolean gradientCheckpointing;

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

	/** Whether {@link #forwardForTraining} recomputes the blocks in backward instead of keeping their graphs. */
	public boolean gradientCheckpointing() {
		return gradientCheckpointing;
	}

	/**
	 * Gradient checkpointing (recompute in backward) for {@link #forwardForTraining}: each down, mid and up block
	 * runs forward without a graph, keeping only its inputs, and is re-run with a graph, one block at a time, during
	 * {@link TrainingForward#backward}. Training memory becomes that of inference plus one block's graph, for about
	 * one more forward of compute. {@link #forward} is not affected.
	 */
	public void setGradientCheckpointing(boolean on) {
		gradientCheckpointing = on;
	}

	/** A Python-number timestep (int or fractional) shared by the whole batch. */
	public NDArray forward(NDArray sample, double timestep, NDArray context) {
		return forward(sample, sample.getManager().create(new float[] {(float) timestep}), context);
	}

	/**
	 * sample [B, C, H, W], timesteps [] / [1] / [B] (int64 or float; fractional values allowed), context
	 * [B, S, Cc] -> [B, C, H, W] in the dtype of {@code sample}. Every block runs in its own {@link BlockScope}, and
	 * each skip connection is freed once its up block has read it, so nothing but the result outlives the call.
	 */
	public NDArray forward(NDArray sample, NDArray timesteps, NDArray context) {
		return BlockScope.run(() -> {
			// Under autograd, the temporaries freed between the kept tensors leave holes in the C heap; giving them
			// back after each block keeps a training step's resident memory near what backward really needs.
			boolean trim = GradMode.isRecording();
			Conditioning c = conditioning(sample, timesteps, context);
			NDArray x = stem(sample);
			List<NDArray> skips = new ArrayList<>();
			skips.add(x);
			for (UNetDownBlock d : downBlocks) {
				NDList states = d.forward(x, c.temb(), c.context());
				skips.addAll(states);
				x = states.get(states.size() - 1);
				if (trim) NativeHeap.trim();
			}
			x = midBlock.forward(x, c.temb(), c.context());
			for (UNetUpBlock u : upBlocks) {
				List<NDArray> taken = takeSkips(skips, u.layers());
				NDArray next = u.forward(x, taken, c.temb(), c.context(), upsampleSize(skips));
				BlockScope.free(x);
				for (NDArray sk : taken) BlockScope.free(sk);
				x = next;
				if (trim) NativeHeap.trim();
			}
			NDArray out = head(x);
			BlockScope.free(x);
			return out;
		});
	}

	/**
	 * The forward of a training step, ready for its backward: with {@linkplain #setGradientCheckpointing
	 * checkpointing} off it is {@link #forward} under the caller's collector; with it on the blocks are recomputed
	 * in {@link TrainingForward#backward}, and the gradients of the shared inputs (the text context, the time
	 * embedding, the first conv's output) are summed over the blocks and sent on into whatever computed them (a
	 * text encoder with trainable token rows or LoRA, a time-embedding adapter). Call inside a
	 * {@code GradientCollector}; the result is the same either way, and so are the gradients (up to the order of
	 * floating-point sums).
	 */
	public TrainingForward forwardForTraining(NDArray sample, NDArray timesteps, NDArray context) {
		if (!gradientCheckpointing) return TrainingForward.plain(forward(sample, timesteps, context));
		return UNetCheckpoint.run(this, sample, timesteps, context);
	}

	/** What a UNet forward shares with all blocks: the text context and the time embedding [B, 4·C0]. */
	record Conditioning(NDArray context, NDArray temb) {}

	/**
	 * The context and time embedding for a batch. Results of ops belong to their left operand's manager: the
	 * context (made once per image) and the timesteps may live outside the caller's per-step scope, and the keys and
	 * values computed from them would then pile up there, step after step. Views owned by the sample's manager keep
	 * every temporary in its scope.
	 */
	Conditioning conditioning(NDArray sample, NDArray timesteps, NDArray context) {
		long b = sample.getShape().get(0);
		NDArray ctx = scopedView(context, sample);
		NDArray t = scopedView(timesteps, sample).reshape(-1);
		if (!t.getDevice().equals(sample.getDevice())) t = t.toDevice(sample.getDevice(), false);
		if (t.size() == 1 && b > 1) t = t.broadcast(b);
		else if (t.size() != b) throw new IllegalArgumentException(t.size() + " timesteps for a batch of " + b);
		NDArray tEmb = timeProj.forward(t); // [B, C0] float32
		if (tEmb.getDataType() != sample.getDataType()) tEmb = tEmb.toType(sample.getDataType(), false);
		NDArray temb = timeEmbedding.forward(tEmb); // [B, 4·C0]
		if (ctx.getDataType() != sample.getDataType()) throw new IllegalArgumentException(
			"context is " + ctx.getDataType() + " but sample is " + sample.getDataType());
		return new Conditioning(ctx, temb);
	}

	/** conv_in of the (optionally centred) sample. */
	NDArray stem(NDArray sample) {
		if (!config.centerInputSample()) return convIn.forward(sample);
		NDArray centred = sample.mul(2).sub(1);
		NDArray x = convIn.forward(centred);
		BlockScope.free(centred);
		return x;
	}

	/** conv_out(silu(conv_norm_out(x))). */
	NDArray head(NDArray x) {
		NDArray a = convNormOut.forwardSilu(x);
		NDArray out = convOut.forward(a);
		BlockScope.free(a);
		return out;
	}

	List<UNetDownBlock> downBlocks() {
		return downBlocks;
	}

	UNetMidBlock2DCrossAttn midBlock() {
		return midBlock;
	}

	List<UNetUpBlock> upBlocks() {
		return upBlocks;
	}

	private static NDArray scopedView(NDArray a, NDArray scopeOf) {
		if (a.getManager() == scopeOf.getManager()) return a;
		NDArray view = a.reshape(a.getShape());
		view.attach(scopeOf.getManager());
		return view;
	}

	/** Removes and returns the last {@code n} skips, the deepest first (the order the up block's resnets take). */
	static <T> List<T> takeSkips(List<T> skips, int n) {
		List<T> taken = new ArrayList<>(n);
		for (int i = 0; i < n; i++) taken.add(skips.remove(skips.size() - 1));
		return taken;
	}

	/** Spatial size the next up block's upsampler must reach: that of the skip now on top, or null when none. */
	static long[] upsampleSize(List<NDArray> remaining) {
		if (remaining.isEmpty()) return null;
		Shape s = remaining.get(remaining.size() - 1).getShape();
		return new long[] {s.get(2), s.get(3)};
	}
}
