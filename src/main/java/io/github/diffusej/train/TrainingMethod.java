package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.model.StableDiffusionModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a training method adds to the shared loop ({@link Trainer}): its trainable tensors, how they enter the
 * model, how captions become the UNet's text conditioning, and the files it writes. Everything else (data,
 * noise, loss, optimizer, schedules, checkpoints, resume, validation, progress) is the loop's.
 */
public interface TrainingMethod extends AutoCloseable {

	/** "textual inversion", "LoRA", ... */
	String label();

	/**
	 * Creates the trainable tensors in {@code registry} (float32 masters, initialised from {@code config} and the
	 * run's initialisation stream {@code init}) and installs them in {@code model}, so that a forward of the model
	 * uses them. Called once, before any step.
	 */
	void attach(StableDiffusionModel model, TrainConfig config, Trainables registry, io.github.diffusej.Rng init)
		throws IOException;

	/**
	 * Makes the model use {@code tensors} (by registry name, in the model's dtype) in place of the masters until
	 * {@link #unbind}: half-precision working copies for one step, or the EMA average for validation.
	 */
	void bind(Map<String, NDArray> tensors);

	/**
	 * Returns to the method's own tensors: the masters with a float32 model, or the method's half-precision
	 * copies of them, refreshed from the masters, with a float16 model.
	 */
	void unbind();

	/**
	 * The trigger of the concept, put into captions and validation prompts for {@code {token}}: the
	 * placeholder of textual inversion, the LoRA's trigger word, or null.
	 */
	String trigger();

	/**
	 * Whether the text encoder's output depends on trainable tensors. When false, the loop may cache the
	 * encoded captions (the text encoder is frozen and deterministic).
	 */
	boolean trainsTextEncoder();

	/**
	 * The UNet's text conditioning [B, T, D] for caption token ids [B, T] (in {@code scope}), recorded for
	 * autograd when the thread records (the caller opens the collector).
	 */
	NDArray encode(NDArray ids, int clipSkip, NDManager scope);

	/**
	 * Writes the method's result files for other tools into {@code dir}, named from {@code stem}, with
	 * {@code values} (by registry name: the masters or their EMA) and {@code metadata} (ModelSpec and training
	 * keys the loop fills). Returns the files, the main one first.
	 */
	List<Path> export(Path dir, String stem, Map<String, NDArray> values, Map<String, String> metadata)
		throws IOException;

	/** Removes what {@link #attach} installed from the model (the registry's tensors are closed by their owner). */
	@Override
	void close();
}
