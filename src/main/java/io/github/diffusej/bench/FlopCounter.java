package io.github.diffusej.bench;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.model.nn.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Counts the floating-point operations of one forward of a network: 2 per multiply-add of every convolution,
 * linear layer and attention matmul (the usual convention; norms and activations are not counted). It runs the
 * real forward, with a counting pass-through adapter on every layer that has none and a counting attention kernel,
 * so the count follows the network's actual shapes.
 */
public final class FlopCounter {

	private static final String COUNTING = "flop-counter";

	private long flops;

	private FlopCounter() {}

	/** FLOPs of {@code forward} on {@code net}; layers already adapted are counted without their adapter's work. */
	public static long count(Network net, AttentionKernel kernel, Runnable forward) {
		FlopCounter c = new FlopCounter();
		List<AdaptableLayer> added = new ArrayList<>();
		for (Map.Entry<String, ?> e : net.modules().entrySet()) {
			if (e.getValue() instanceof AdaptableLayer l && !l.hasAdapters()) {
				l.addAdapter(COUNTING, c.new Counting());
				added.add(l);
			}
		}
		net.setAttentionKernel((q, k, v, scale, bias, upcast) -> {
			long[] s = q.getShape().getShape();
			c.flops += 4 * s[0] * s[1] * s[2] * k.getShape().get(2) * s[3]; // q kᵀ and p v
			return kernel.attend(q, k, v, scale, bias, upcast);
		});
		try {
			forward.run();
		}
		finally {
			for (AdaptableLayer l : added) l.removeAdapter(COUNTING);
			net.setAttentionKernel(kernel);
		}
		return c.flops;
	}

	/**
	 * A pass-through additive adapter: its term is zero, and computing it counts the layer's own work (the
	 * layer's op is run once more on the same input, in the counting pass only, never in a timed one).
	 */
	private final class Counting implements LayerAdapter.Additive {

		@Override
		public boolean trainable() {
			return true; // so the layer calls deltaOutput at every forward instead of folding a cached weight
		}

		@Override
		public NDArray deltaOutput(AdaptableLayer layer, NDArray x) {
			NDArray y = layer.applyNoBias(x, layer.weight().as(x));
			// every output element is a dot product over the weight's fan-in
			flops += 2 * y.getShape().size() * (layer.weight().shape().size() / layer.outFeatures());
			NDArray zero = y.zerosLike();
			y.close();
			return zero;
		}

		@Override
		public NDArray deltaWeight(AdaptableLayer layer, NDArray like) {
			return like.getManager().zeros(layer.weight().shape(), like.getDataType());
		}

		@Override
		public Map<String, NDArray> tensors() {
			return Map.of();
		}
	}
}
