package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.nn.Ops;

/** transformers {@code CLIPMLP}: fc1 -> activation (quick_gelu or gelu) -> fc2. */
public final class CLIPMLP extends Module {

	private final Linear fc1;
	private final Linear fc2;
	private final String act;

	CLIPMLP(CLIPTextConfig c) {
		act = c.hiddenAct();
		fc1 = child("fc1", new Linear(c.hiddenSize(), c.intermediateSize(), true));
		fc2 = child("fc2", new Linear(c.intermediateSize(), c.hiddenSize(), true));
	}

	NDArray forward(NDArray x) {
		return fc2.forward(Ops.activation(act, fc1.forward(x)));
	}
}
