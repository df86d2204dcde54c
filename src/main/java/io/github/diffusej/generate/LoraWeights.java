package io.github.diffusej.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.export.LoraLayer;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.LayerAdapter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies LoRA/DoRA files to a loaded model for inference. Each adapted layer gets one adapter that holds the
 * effective weight of all files applied to it, computed once:
 * <ul>
 * <li>LoRA: {@code W' = W + Σ m·(alpha/r)·up@down} (conv: {@code up[out,r,1,1]} composed with
 * {@code down[r,in,kh,kw]});</li>
 * <li>DoRA: {@code V = W + (alpha/r)·up@down}, {@code W_dora = magnitude · V / ||V||} (norm per input column for
 * LyCORIS' {@code dora_scale [1, in]}, per output row for PEFT's magnitude), blended by the multiplier
 * {@code m}: {@code W' = W + m·(W_dora − W)}.</li>
 * </ul>
 * Removing the adapters restores the base weights exactly (they are never modified).
 */
public final class LoraWeights {

	private LoraWeights() {}

	/**
	 * Reads, resolves and applies {@code files} with their multipliers, replacing LoRAs applied before; returns
	 * the number of adapted layers. Nothing is attached when any file does not fit the model.
	 */
	public static int apply(StableDiffusionModel model, List<GenerationRequest.LoraRef> files) throws IOException {
		remove(model);
		Map<AdaptableLayer, List<Term>> terms = new LinkedHashMap<>();
		for (GenerationRequest.LoraRef ref : files) {
			LoraFile.Contents c = LoraFile.read(ref.file());
			for (LoraLayer l : LoraFile.resolve(c, model.adaptableLayers())) {
				AdaptableLayer layer = model.network(l.component()).layer(l.module());
				terms.computeIfAbsent(layer, k -> new ArrayList<>()).add(new Term(l, (float) ref.weight()));
			}
		}
		for (Map.Entry<AdaptableLayer, List<Term>> e : terms.entrySet()) {
			e.getKey().setAdapter(new MergedAdapter(e.getValue()));
		}
		return terms.size();
	}

	/** Removes every LoRA applied by {@link #apply}; returns how many layers were restored. */
	public static int remove(StableDiffusionModel model) {
		int n = 0;
		for (var net : List.of(model.unet(), model.textEncoder()))
			for (var layer : net.modules().values())
				if (layer instanceof AdaptableLayer l && l.adapter() instanceof MergedAdapter a) {
					l.removeAdapter();
					a.close();
					n++;
				}
		return n;
	}

	private record Term(LoraLayer layer, float multiplier) {}

	/** The adapter: the layer's own op with the effective weight. */
	private static final class MergedAdapter implements LayerAdapter {

		private final List<Term> terms;
		private NDArray merged;

		MergedAdapter(List<Term> terms) {
			this.terms = terms;
		}

		@Override
		public NDArray forward(AdaptableLayer layer, NDArray x) {
			NDArray w = mergedWeight(layer);
			if (w.getDataType() != x.getDataType()) {
				w = w.toType(x.getDataType(), false);
				w.attach(x.getManager());
			}
			return layer.apply(x, w);
		}

		@Override
		public synchronized NDArray mergedWeight(AdaptableLayer layer) {
			if (merged != null) return merged;
			NDArray base = layer.weight().array();
			NDManager m = base.getManager();
			DataType dtype = base.getDataType();
			try (NDManager scratch = m.newSubManager()) {
				NDArray w = base.toType(DataType.FLOAT32, true);
				w.attach(scratch);
				NDArray out = w;
				for (Term t : terms) {
					LoraLayer l = t.layer();
					int r = l.rank();
					NDArray delta = LoraAdapter.deltaWeight(scratch.create(l.up(), new Shape(l.outFeatures(), r)),
						scratch.create(l.down(), new Shape(r, l.down().length / r)), l.scale(), w.getShape());
					if (l.dora() == null) out = out.add(delta.mul(t.multiplier()));
					else out = out.add(dora(scratch, l, w, delta).sub(w).mul(t.multiplier()));
				}
				merged = out.toType(dtype, true);
				merged.attach(m);
			}
			return merged;
		}

		/**
		 * DoRA as the files mean it: LyCORIS/kohya {@code dora_scale [1, in(, 1, 1)]} divides by the norm of each
		 * input channel over outputs and kernel positions; PEFT's per-output magnitude by each output row's norm.
		 * (Conv layers differ from {@link io.github.diffusej.model.adapter.DoraAdapter}'s INPUT_COLUMN, which keeps
		 * kernel positions apart, hence this small file-specific version.)
		 */
		private static NDArray dora(NDManager m, LoraLayer l, NDArray w, NDArray scaledDelta) {
			NDArray v = w.add(scaledDelta);
			long out = w.getShape().get(0);
			NDArray norm;
			NDArray magnitude;
			if (l.doraPerOutput()) {
				norm = v.reshape(out, -1).norm(new int[] {1}, true); // [out, 1]
				magnitude = m.create(l.dora(), new Shape(out, 1));
			}
			else {
				// LyCORIS dora_scale [1, in]: the norm of each input column over outputs (and kernel positions).
				long in = w.getShape().get(1);
				NDArray cols = w.getShape().dimension() == 2 ? v.transpose() : v.transpose(1, 0, 2, 3);
				cols = cols.reshape(in, -1);
				norm = cols.norm(new int[] {1}, true).transpose(); // [1, in]
				magnitude = m.create(l.dora(), new Shape(1, in));
			}
			NDArray scale = magnitude.div(norm);
			if (w.getShape().dimension() == 4) {
				long[] s = scale.getShape().getShape();
				scale = scale.reshape(s[0], s[1], 1, 1);
			}
			return v.mul(scale);
		}

		synchronized void close() {
			if (merged != null) merged.close();
			merged = null;
		}

		@Override
		public Map<String, NDArray> tensors() {
			return Map.of();
		}
	}
}
