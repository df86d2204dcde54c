package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.LayerNorm;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** transformers {@code CLIPTextTransformer}: embeddings, causal encoder, final layer norm, pooling. */
public final class CLIPTextTransformer extends Module {

	private final CLIPTextEmbeddings embeddings;
	private final CLIPEncoder encoder;
	private final LayerNorm finalLayerNorm;
	private final int eosTokenId;

	CLIPTextTransformer(CLIPTextConfig c) {
		embeddings = child("embeddings", new CLIPTextEmbeddings(c));
		encoder = child("encoder", new CLIPEncoder(c));
		finalLayerNorm = child("final_layer_norm", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
		eosTokenId = c.eosTokenId();
	}

	public CLIPTextEmbeddings embeddings() {
		return embeddings;
	}

	public LayerNorm finalLayerNorm() {
		return finalLayerNorm;
	}

	CLIPTextOutput forward(NDArray ids) {
		if (ids.getDataType() != DataType.INT64) ids = ids.toType(DataType.INT64, false);
		ai.djl.Device dev = embeddings.tokenEmbedding().weight().array().getDevice();
		if (!ids.getDevice().equals(dev)) ids = ids.toDevice(dev, false); // token ids often come from the CPU
		NDArray x = embeddings.forward(ids); // [B, T, D]
		long t = ids.getShape().get(1);
		NDArray mask = causalMask(x, t);
		List<NDArray> states = new ArrayList<>();
		NDArray h = encoder.forward(x, mask, states);
		NDArray last = finalLayerNorm.forward(h);
		return new CLIPTextOutput(last, List.copyOf(states), pool(last, ids));
	}

	/**
	 * transformers 4.36 pooling: with {@code eos_token_id == 2} (every SD config) the legacy rule picks position
	 * {@code argmax(input_ids)} (the first largest id); otherwise the first position of {@code eos_token_id}.
	 */
	private NDArray pool(NDArray last, NDArray ids) {
		NDArray pos;
		if (eosTokenId == 2) pos = ids.argMax(1); // [B]
		else pos = ids.eq(eosTokenId).toType(DataType.INT32, false).argMax(1);
		long b = ids.getShape().get(0);
		long d = last.getShape().get(2);
		NDArray index = pos.reshape(b, 1, 1).broadcast(b, 1, d); // [B, 1, D]
		return last.gather(index, 1).reshape(b, d);
	}

	/** Additive causal mask [T, T]: 0 on and below the diagonal, the dtype's minimum above (as transformers). */
	private static NDArray causalMask(NDArray like, long t) {
		int n = (int) t;
		DataType dt = like.getDataType();
		double min = switch (dt) {
			case FLOAT64 -> -Double.MAX_VALUE;
			case FLOAT16 -> -65504.0;
			default -> -Float.MAX_VALUE;
		};
		double[] m = new double[n * n];
		for (int i = 0; i < n; i++) {
			for (int j = i + 1; j < n; j++) m[i * n + j] = min;
		}
		NDArray a = like.getManager().create(m, new Shape(t, t));
		return dt == DataType.FLOAT64 ? a : a.toType(dt, false);
	}
}
