package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.Rng;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.GradMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Textual inversion (Gal et al. 2023, "An Image is Worth One Word"): new token vectors for a placeholder such as
 * {@code <my-cell>}, learned with the whole model frozen, as diffusers' {@code textual_inversion.py} does. The
 * vectors are one trainable tensor [n, D] registered under the placeholder's name and installed as extra token
 * rows beside any embeddings loaded from files; every row of the frozen token table stays untouched.
 *
 * <p>Initialisation: from an embedding file, or from the token rows of a word or phrase. A phrase of k tokens
 * fills n vectors in order: token j goes to vector {@code floor(j n / k)} (rows averaged when several tokens share
 * a vector, cycled when there are more vectors than tokens), so "cell" starts every vector at "cell" and
 * "fluorescent nucleus" with one vector starts at their mean.
 */
public final class TextualInversion implements TrainingMethod {

	private StableDiffusionModel model;
	private String token;
	private NDArray bound;
	private NDArray master;
	/** The float16 rows registered at attach time when the model runs in float16 (owned here). */
	private NDArray halfRows;

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
		this.token = ti.token();
		int n = ti.numVectors();
		int dim = model.textEncoder().config().hiddenSize();
		float[][] start = ti.initializerFile() != null ? fromFile(Path.of(ti.initializerFile()), n, dim)
			: fromWords(model, ti.initializer(), n);
		float[] flat = new float[n * dim];
		for (int i = 0; i < n; i++) System.arraycopy(start[i], 0, flat, i * dim, dim);
		master = registry.add(token, flat, new Shape(n, dim), "token");
		if (model.dtype() != DataType.FLOAT32) halfRows = halfCopy(master, model.dtype());
		bound = halfRows != null ? halfRows : master;
		model.addTrainableToken(token, bound);
	}

	private static NDArray halfCopy(NDArray master, DataType dtype) {
		try (GradMode ng = GradMode.noGrad()) {
			NDArray h = master.toType(dtype, true);
			io.github.diffusej.train.optim.Scopes.keep(h);
			return h;
		}
	}

	private static float[][] fromFile(Path file, int n, int dim) throws IOException {
		Embedding e = EmbeddingFile.read(file, null);
		if (e.dim() != dim) throw new TrainingException(file + ": the initializer embedding has width " + e.dim()
			+ " but this model's text encoder has width " + dim);
		if (e.count() != n) throw new TrainingException(file + ": the initializer embedding has " + e.count()
			+ " vector(s) but textual_inversion.num_vectors is " + n + " (set it to " + e.count() + ")");
		return e.vectors();
	}

	/** The initial vectors from the token rows of {@code words} (see the class comment). */
	static float[][] fromWords(StableDiffusionModel model, String words, int n) {
		long[] ids = model.tokenizer().encodeWithoutSpecialTokens(words);
		if (ids.length == 0) throw new TrainingException("textual_inversion.initializer '" + words
			+ "' gives no tokens; use a word such as 'cell'");
		long vocab = model.textEncoder().embeddings().tokenEmbedding().count();
		for (long id : ids)
			if (id >= vocab) throw new TrainingException("textual_inversion.initializer '" + words + "' contains '"
				+ model.tokenizer().token((int) id) + "', which is not a word of the base vocabulary");
		int dim = model.textEncoder().config().hiddenSize();
		float[][] rows = new float[ids.length][];
		try (NDManager s = model.manager().newSubManager(); GradMode ng = GradMode.noGrad()) {
			NDArray table = model.textEncoder().embeddings().tokenEmbedding().weight().array();
			for (int j = 0; j < ids.length; j++) {
				NDArray row = table.get(ids[j]).toType(DataType.FLOAT32, true);
				row.attach(s);
				rows[j] = row.toFloatArray();
			}
		}
		float[][] out = new float[n][dim];
		int[] counts = new int[n];
		int k = ids.length;
		for (int j = 0; j < Math.max(k, n); j++) {
			int vector = k >= n ? (int) ((long) j * n / k) : j;
			float[] r = rows[j % k];
			for (int d = 0; d < dim; d++) out[vector][d] += r[d];
			counts[vector]++;
		}
		for (int i = 0; i < n; i++)
			for (int d = 0; d < dim; d++) out[i][d] /= counts[i];
		return out;
	}

	@Override
	public void bind(Map<String, NDArray> tensors) {
		NDArray rows = tensors.get(token);
		if (rows == null) throw new IllegalArgumentException("no tensor for '" + token + "'");
		if (rows == bound) return;
		model.replaceTrainableRows(token, rows);
		bound = rows;
	}

	@Override
	public void unbind() {
		if (halfRows != null) {
			try (GradMode ng = GradMode.noGrad(); NDManager s = master.getManager().newSubManager()) {
				NDArray h = master.toType(halfRows.getDataType(), true);
				h.attach(s);
				halfRows.set(h.toByteBuffer());
			}
		}
		NDArray own = halfRows != null ? halfRows : master;
		if (bound != own) model.replaceTrainableRows(token, own);
		bound = own;
	}

	@Override
	public String trigger() {
		return token;
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
		NDArray rows = values.get(token);
		Embedding e = toEmbedding(rows, token, dir.resolve(stem + ".safetensors").toString());
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

	/** The rows [n, D] as an embedding record (float32 values). */
	public static Embedding toEmbedding(NDArray rows, String token, String source) {
		float[] flat;
		try (NDManager s = rows.getManager().newSubManager()) {
			NDArray f = rows.toType(DataType.FLOAT32, true);
			f.attach(s);
			flat = f.toFloatArray();
		}
		int n = (int) rows.getShape().get(0), dim = (int) rows.getShape().get(1);
		float[][] v = new float[n][dim];
		for (int i = 0; i < n; i++) System.arraycopy(flat, i * dim, v[i], 0, dim);
		return new Embedding(token, v, source);
	}

	@Override
	public void close() {
		if (model != null) model.removeToken(token);
		if (halfRows != null) halfRows.close();
		halfRows = null;
		bound = null;
		model = null;
	}
}
