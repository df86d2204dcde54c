package io.github.diffusej.model.clip;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What {@link CLIPTextModel#forward} returns.
 *
 * @param lastHiddenState [B, T, D] after {@code final_layer_norm} (SD's prompt embeddings)
 * @param hiddenStates L+1 tensors [B, T, D]: index 0 the embeddings, index i the output of layer i (no final LN)
 * @param pooled [B, D] final hidden state at the pooling position (see {@link CLIPTextModel})
 */
public record CLIPTextOutput(NDArray lastHiddenState, List<NDArray> hiddenStates, NDArray pooled) {

	/** {@code hidden_states[-n]} in Python indexing (n = 1 is the last layer's output, before final LN). */
	public NDArray hiddenStateFromEnd(int n) {
		return hiddenStates.get(hiddenStates.size() - n);
	}
}
