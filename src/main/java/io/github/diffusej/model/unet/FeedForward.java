package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import ai.djl.ndarray.NDList;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Ops;

/**
 * diffusers {@code FeedForward} with GEGLU (Shazeer 2020): {@code net.0.proj} projects to 2·inner, the second half
 * gates the first through GELU, {@code net.2} projects back. ({@code net.1} is dropout.)
 */
public final class FeedForward extends Module {

	private final Linear proj;
	private final Linear out;

	FeedForward(long dim) {
		long inner = 4 * dim;
		proj = child("net.0.proj", new Linear(dim, 2 * inner, true));
		out = child("net.2", new Linear(inner, dim, true));
	}

	/** [B, T, C] -> [B, T, C]; the 2·inner-wide projection is freed as soon as the gate has read it. */
	NDArray forward(NDArray x) {
		NDArray h = proj.forward(x);
		NDList hg = h.split(2, h.getShape().dimension() - 1); // hidden, gate: [B, T, inner] each
		BlockScope.free(h);
		NDArray gate = Ops.gelu(hg.get(1));
		NDArray prod = GradMode.isRecording() ? hg.get(0).mul(gate) : gate.muli(hg.get(0));
		BlockScope.free(hg);
		if (prod != gate) BlockScope.free(gate);
		NDArray y = out.forward(prod);
		BlockScope.free(prod);
		return y;
	}
}
