package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.GradMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Gradient checkpointing of the UNet's blocks. DJL has no custom autograd function and allows one
 * {@code GradientCollector} per process, so the checkpoint is a small tape kept beside the graph:
 *
 * <ol>
 * <li>forward: the time embedding, the context and conv_in keep their graphs (they lead to the trainables
 * upstream); each down, mid and up block then runs with grad mode off from detached copies of its inputs, and the
 * tape keeps only the values passed between blocks (the skip connections, which a plain forward keeps anyway);
 * the head (conv_norm_out, conv_out) runs with a graph from a leaf;</li>
 * <li>backward: after the loss's own backward has reached that leaf, the blocks are re-run in reverse order, each
 * from leaves made of its saved inputs and with a graph, and back-propagated with the gradients of their outputs
 * ({@code loss.backward(grad)} per output). Input gradients are summed per value: a skip gets its up block's and
 * the next down block's share, the context and the time embedding get every block's. Last, one backward of
 * {@code sum(context * dL/dcontext) + sum(temb * dL/dtemb) + sum(x0 * dL/dx0)} sends the sums into the upstream
 * graphs (text encoder, time embedding, conv_in).</li>
 * </ol>
 */
final class UNetCheckpoint extends TrainingForward {

	/** One checkpointed block: its function of the input values, and where its inputs and outputs sit on the tape. */
	private record Segment(Function<NDArray[], NDList> fn, int[] in, int[] out) {}

	private final List<NDArray> values = new ArrayList<>();
	private final List<Boolean> needsGrad = new ArrayList<>();
	private final List<NDArray> upstream = new ArrayList<>(); // the graph array for each value, or null
	private final List<Segment> segments = new ArrayList<>();
	private NDArray headLeaf;
	private int headInput;

	private UNetCheckpoint() {}

	static TrainingForward run(UNet2DConditionModel u, NDArray sample, NDArray timesteps, NDArray context) {
		UNet2DConditionModel.Conditioning c = u.conditioning(sample, timesteps, context);
		NDArray x0 = u.stem(sample);
		UNetCheckpoint tape = new UNetCheckpoint();
		int ctx = tape.upstreamValue(c.context());
		int temb = tape.upstreamValue(c.temb());
		int x = tape.upstreamValue(x0);
		try (GradMode ng = GradMode.noGrad()) {
			List<Integer> skips = new ArrayList<>();
			skips.add(x);
			for (UNetDownBlock d : u.downBlocks()) {
				int[] outs = tape.segment(in -> d.forward(in[0], in[1], in[2]), x, temb, ctx);
				for (int o : outs) skips.add(o);
				x = outs[outs.length - 1];
			}
			UNetMidBlock2DCrossAttn mid = u.midBlock();
			x = tape.segment(in -> new NDList(mid.forward(in[0], in[1], in[2])), x, temb, ctx)[0];
			for (UNetUpBlock up : u.upBlocks()) {
				int n = up.layers();
				List<Integer> taken = UNet2DConditionModel.takeSkips(skips, n);
				long[] size = UNet2DConditionModel.upsampleSize(skips.stream().map(tape.values::get).toList());
				int[] in = new int[n + 3];
				in[0] = x;
				for (int j = 0; j < n; j++) in[1 + j] = taken.get(j);
				in[n + 1] = temb;
				in[n + 2] = ctx;
				x = tape.segment(v -> new NDList(up.forward(v[0], Arrays.asList(v).subList(1, n + 1), v[n + 1], v[n + 2],
					size)), in)[0];
			}
		}
		tape.headInput = x;
		tape.headLeaf = tape.values.get(x).stopGradient();
		tape.headLeaf.setRequiresGradient(true);
		tape.setOutput(u.head(tape.headLeaf));
		return tape;
	}

	/**
	 * Puts an array that may carry a graph on the tape (detached); its gradient is sent on at the end. Whether it
	 * has a graph cannot be asked through DJL (its {@code requiresGrad} is false for every non-leaf), so its
	 * gradient is always computed: one input gradient of the first block's layers, small beside the blocks.
	 */
	private int upstreamValue(NDArray graph) {
		values.add(graph.stopGradient());
		needsGrad.add(true);
		upstream.add(graph);
		return values.size() - 1;
	}

	/** Runs one block without a graph and puts its outputs on the tape. */
	private int[] segment(Function<NDArray[], NDList> fn, int... in) {
		NDArray[] args = new NDArray[in.length];
		for (int i = 0; i < in.length; i++) args[i] = values.get(in[i]);
		NDList outs = fn.apply(args);
		int[] idx = new int[outs.size()];
		for (int i = 0; i < idx.length; i++) {
			values.add(outs.get(i));
			needsGrad.add(true);
			upstream.add(null);
			idx[i] = values.size() - 1;
		}
		segments.add(new Segment(fn, in.clone(), idx));
		return idx;
	}

	@Override
	void afterLoss() {
		NDArray[] grads = new NDArray[values.size()];
		grads[headInput] = JniUtils.getGradient((PtNDArray) headLeaf);
		headLeaf.close();
		boolean previous = GradMode.set(true);
		try {
			for (int s = segments.size() - 1; s >= 0; s--) backwardSegment(segments.get(s), grads);
			sendUpstream(grads);
		}
		finally {
			GradMode.set(previous);
			for (NDArray g : grads) if (g != null) g.close();
			for (NDArray v : values) v.close();
		}
	}

	/** Re-runs one block with a graph from leaves of its inputs and back-propagates its outputs' gradients. */
	private void backwardSegment(Segment s, NDArray[] grads) {
		NDArray[] leaves = new NDArray[s.in().length];
		for (int i = 0; i < leaves.length; i++) {
			NDArray v = values.get(s.in()[i]);
			if (needsGrad.get(s.in()[i])) {
				leaves[i] = v.stopGradient();
				leaves[i].setRequiresGradient(true);
			}
			else leaves[i] = v;
		}
		NDList outs = s.fn().apply(leaves);
		List<Integer> live = new ArrayList<>();
		for (int k = 0; k < outs.size(); k++) if (grads[s.out()[k]] != null) live.add(k);
		for (int i = 0; i < live.size(); i++) {
			int k = live.get(i);
			JniUtils.backward((PtNDArray) outs.get(k), (PtNDArray) grads[s.out()[k]], i < live.size() - 1, false);
		}
		outs.close();
		try (GradMode ng = GradMode.noGrad()) {
			for (int i = 0; i < leaves.length; i++) {
				int v = s.in()[i];
				if (!needsGrad.get(v)) continue;
				NDArray g = JniUtils.getGradient((PtNDArray) leaves[i]);
				leaves[i].close();
				if (g == null) continue; // the block does not read this input (a DownBlock2D and the context)
				if (grads[v] == null) grads[v] = g;
				else {
					grads[v].addi(g);
					g.close();
				}
			}
		}
		for (int o : s.out()) {
			if (grads[o] != null) grads[o].close();
			grads[o] = null;
			values.get(o).close(); // no earlier block reads it
		}
	}

	/** One backward into the graphs that computed the context, the time embedding and conv_in's output. */
	private void sendUpstream(NDArray[] grads) {
		NDArray total = null;
		for (int i = 0; i < upstream.size(); i++) {
			if (upstream.get(i) == null || grads[i] == null) continue;
			NDArray prod = upstream.get(i).mul(grads[i]);
			NDArray term = prod.sum();
			prod.close();
			if (total == null) total = term;
			else {
				NDArray sum = total.add(term);
				total.close();
				term.close();
				total = sum;
			}
		}
		if (total == null) return;
		// + 0·leaf: the sum has a graph even when nothing upstream has one (a frozen text encoder), so backward
		// never fails, and the zero adds nothing to any gradient.
		NDArray leaf = total.zerosLike();
		leaf.setRequiresGradient(true);
		NDArray zero = io.github.diffusej.model.nn.Param.times(leaf, 0); // not mul(Number): see Param#scalar
		NDArray sum = total.add(zero);
		BlockScope.free(total, zero);
		total = sum;
		NDArray one = total.onesLike();
		JniUtils.backward((PtNDArray) total, (PtNDArray) one, false, false);
		total.close();
		one.close();
		leaf.close();
	}
}
