package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.LayerNorm;
import io.github.diffusej.model.nn.Module;

/** transformers {@code CLIPEncoderLayer}: pre-LN self-attention and MLP, each with a residual. */
public final class CLIPEncoderLayer extends Module {

	private final CLIPAttention selfAttn;
	private final LayerNorm layerNorm1;
	private final CLIPMLP mlp;
	private final LayerNorm layerNorm2;

	CLIPEncoderLayer(CLIPTextConfig c) {
		selfAttn = child("self_attn", new CLIPAttention(c));
		layerNorm1 = child("layer_norm1", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
		mlp = child("mlp", new CLIPMLP(c));
		layerNorm2 = child("layer_norm2", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
	}

	/** x [B, T, D] -> [B, T, D]. */
	NDArray forward(NDArray x, NDArray causalMask) {
		return BlockScope.run(() -> {
			NDArray n = layerNorm1.forward(x);
			NDArray a = selfAttn.forward(n, causalMask);
			NDArray h = x.add(a);
			BlockScope.free(n, a);
			n = layerNorm2.forward(h);
			NDArray m = mlp.forward(n);
			NDArray out = h.add(m);
			BlockScope.free(n, m, h);
			return out;
		});
	}
}
