package io.github.diffusej.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.util.Set;

/**
 * The weights of one network component (text encoder, UNet or VAE), addressed by the reference's own parameter
 * names (diffusers / transformers state-dict keys such as {@code down_blocks.0.resnets.0.conv1.weight}).
 *
 * <p>A diffusers folder is read as is; a single-file LDM checkpoint is presented through a key map that renames,
 * splits or reshapes tensors so that networks only ever see reference names and reference shapes.
 */
public interface WeightSource extends AutoCloseable {

	/** Every key this source can provide, in reference naming. */
	Set<String> keys();

	/** The reference shape of a key (after any reshaping the source applies). */
	long[] shape(String key) throws IOException;

	/**
	 * Loads one tensor as {@code dtype} into {@code manager}. Half-precision files are widened in Java where a
	 * float32 array is asked for; BF16 never reaches DJL.
	 */
	NDArray load(String key, NDManager manager, DataType dtype) throws IOException;

	/** Where the weights come from, for error messages (a file or folder path). */
	String describe();

	@Override
	void close() throws IOException;
}
