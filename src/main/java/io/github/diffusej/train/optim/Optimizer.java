package io.github.diffusej.train.optim;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Updates trainable tensors in place from their gradients. Implementations keep their state (moments, step
 * counts, estimates) keyed by the tensors' registry names, so that a checkpoint saves and restores it exactly.
 * Updates run with gradient recording off; tensors and state stay on the tensors' device, in float32.
 */
public interface Optimizer {

	/**
	 * One trainable tensor for one step.
	 *
	 * @param name the registry name (the key written to files)
	 * @param value the float32 tensor, updated in place
	 * @param grad its gradient (float32, same shape), already averaged and clipped
	 * @param lrScale this tensor's learning rate divided by the base learning rate (parameter groups)
	 */
	record Param(String name, NDArray value, NDArray grad, double lrScale) {}

	/** Applies one update with base learning rate {@code lr} (the schedule's value for this step). */
	void step(List<Param> params, double lr);

	/** The state tensors by key ({@code exp_avg/<name>}, ...), for checkpoints. */
	Map<String, NDArray> stateTensors();

	/** The scalar state (step count, estimates), for checkpoints. */
	JsonObject stateScalars();

	/** Restores a state saved by {@link #stateTensors} and {@link #stateScalars} (tensors are copied). */
	void restore(Map<String, NDArray> tensors, JsonObject scalars);

	/** Frees the state. */
	void close();
}
