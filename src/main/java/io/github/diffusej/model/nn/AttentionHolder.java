package io.github.diffusej.model.nn;

/** A module that runs an {@link AttentionKernel}; {@link Network#setAttentionKernel} switches them all. */
public interface AttentionHolder {

	void setKernel(AttentionKernel kernel);
}
