package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.diffusej.Rng;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Textual inversion (Gal et al. 2023, "An Image is Worth One Word"): new token vectors for a placeholder such as
 * {@code <my-cell>}, learned with the whole model frozen, as diffusers' {@code textual_inversion.py} does. The
 * vectors are one trainable tensor [n, D] registered under the placeholder's name and installed as extra token
 * rows beside any embeddings loaded from files ({@link Placeholder}); every row of the frozen token table stays
 * untouched.
 */
public final class TextualInversion implements TrainingMethod {

	private StableDiffusionModel model;
	private Placeholder placeholder;

	@Override
	public String label() {
		return "textual inversion";
	}

	@Override
	public void attach(StableDiffusionModel model, TrainConfig config, Trainables registry, Rng init)
		throws IOException
	{
		TrainConfig.TextualInversion ti = config.textualInversion();
		this.model = model;
		placeholder = Placeholder.create(model, registry, ti.token(), ti.numVectors(), ti.initializer(),
			ti.initializerFile() == null ? null : Path.of(ti.initializerFile()), "token", "textual_inversion");
	}

	@Override
	public void bind(Map<String, NDArray> tensors) {
		NDArray rows = placeholder.from(tensors);
		if (rows == null) throw new IllegalArgumentException("no tensor for '" + placeholder.token() + "'");
		placeholder.bind(rows);
	}

	@Override
	public void unbind() {
		placeholder.unbind();
	}

	@Override
	public String trigger() {
		return placeholder.token();
	}

	@Override
	public boolean trainsTextEncoder() {
		return true;
	}

	@Override
	public NDArray encode(NDArray ids, int clipSkip, NDManager scope) {
		return model.textEncoder().encode(ids, Math.max(0, clipSkip - 1));
	}

	/**
	 * Writes {@code <stem>.safetensors} ({@code emb_params}, which InvokeAI, A1111 and ComfyUI load with the file
	 * stem as trigger) and {@code learned_embeds.safetensors} (diffusers' {@code {token: [n, D]}}).
	 */
	@Override
	public List<Path> export(Path dir, String stem, Map<String, NDArray> values, Map<String, String> metadata)
		throws IOException
	{
		String token = placeholder.token();
		Embedding e = Placeholder.toEmbedding(values.get(token), token, dir.resolve(stem + ".safetensors").toString());
		String arch = metadata.getOrDefault("modelspec.architecture", "stable-diffusion-v1/textual-inversion");
		String base = arch.substring(0, arch.indexOf('/'));
		List<Path> out = new ArrayList<>();
		Path embParams = dir.resolve(stem + ".safetensors");
		EmbeddingFile.write(embParams, e, EmbeddingFile.Layout.EMB_PARAMS, base, metadata);
		out.add(embParams);
		Path diffusers = dir.resolve("learned_embeds.safetensors");
		EmbeddingFile.write(diffusers, e, EmbeddingFile.Layout.DIFFUSERS, base, metadata);
		out.add(diffusers);
		return out;
	}

	@Override
	public void close() {
		if (placeholder != null) placeholder.close();
		placeholder = null;
		model = null;
	}
}
