package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.train.optim.Scopes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trainable placeholder token: its vectors [n, D] registered as one trainable tensor under the token's name and
 * installed in the model as extra token rows beside any embeddings loaded from files (textual inversion, and the
 * new token of a LoRA's pivotal tuning). With a float16 model the rows the model sees are a float16 copy of the
 * float32 master, refreshed by {@link #unbind}.
 *
 * <p>Initialisation: from an embedding file, or from the token rows of a word or phrase. A phrase of k tokens
 * fills n vectors in order: token j goes to vector {@code floor(j n / k)} (rows averaged when several tokens share
 * a vector, cycled when there are more vectors than tokens), so "cell" starts every vector at "cell" and
 * "fluorescent nucleus" with one vector starts at their mean.
 */
final class Placeholder {

	private final StableDiffusionModel model;
	private final String token;
	private final NDArray master;
	private final NDArray halfRows;
	private NDArray bound;

	private Placeholder(StableDiffusionModel model, String token, NDArray master) {
		this.model = model;
		this.token = token;
		this.master = master;
		this.halfRows = model.dtype() == DataType.FLOAT32 ? null : halfCopy(master, model.dtype());
		this.bound = halfRows != null ? halfRows : master;
		model.addTrainableToken(token, bound);
	}

	/**
	 * Registers {@code token} with {@code n} vectors in {@code registry} (group {@code group}) and installs it;
	 * the vectors start from {@code initializerFile} when given, else from the rows of {@code initializer}.
	 * {@code what} names the settings in errors.
	 */
	static Placeholder create(StableDiffusionModel model, Trainables registry, String token, int n, String initializer,
		Path initializerFile, String group, String what) throws IOException
	{
		int dim = model.textEncoder().config().hiddenSize();
		float[][] start = initializerFile != null ? fromFile(initializerFile, n, dim, what)
			: fromWords(model, initializer, n, what);
		float[] flat = new float[n * dim];
		for (int i = 0; i < n; i++) System.arraycopy(start[i], 0, flat, i * dim, dim);
		return new Placeholder(model, token, registry.add(token, flat, new Shape(n, dim), group));
	}

	private static NDArray halfCopy(NDArray master, DataType dtype) {
		try (GradMode ng = GradMode.noGrad()) {
			return Scopes.keep(master.toType(dtype, true));
		}
	}

	private static float[][] fromFile(Path file, int n, int dim, String what) throws IOException {
		Embedding e = EmbeddingFile.read(file, null);
		if (e.dim() != dim) throw new TrainingException(file + ": the initializer embedding has width " + e.dim()
			+ " but this model's text encoder has width " + dim);
		if (e.count() != n) throw new TrainingException(file + ": the initializer embedding has " + e.count()
			+ " vector(s) but " + what + " asks for " + n + " (set it to " + e.count() + ")");
		return e.vectors();
	}

	/** The initial vectors from the token rows of {@code words} (see the class comment). */
	static float[][] fromWords(StableDiffusionModel model, String words, int n, String what) {
		long[] ids = model.tokenizer().encodeWithoutSpecialTokens(words);
		if (ids.length == 0) throw new TrainingException(what + ": the initializer '" + words
			+ "' gives no tokens; use a word such as 'cell'");
		long vocab = model.textEncoder().embeddings().tokenEmbedding().count();
		for (long id : ids)
			if (id >= vocab) throw new TrainingException(what + ": the initializer '" + words + "' contains '"
				+ model.tokenizer().token((int) id) + "', which is not a word of the base vocabulary");
		int dim = model.textEncoder().config().hiddenSize();
		float[][] rows = new float[ids.length][];
		try (NDManager s = model.manager().newSubManager(); GradMode ng = GradMode.noGrad()) {
			NDArray table = model.textEncoder().embeddings().tokenEmbedding().weight().array();
			for (int j = 0; j < ids.length; j++) {
				NDArray picked = table.get(ids[j]);
				picked.attach(s);
				NDArray row = picked.toType(DataType.FLOAT32, false);
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

	String token() {
		return token;
	}

	NDArray master() {
		return master;
	}

	/** Makes the model use {@code rows} (in the model's dtype) until {@link #unbind}. */
	void bind(NDArray rows) {
		if (rows == bound) return;
		model.replaceTrainableRows(token, rows);
		bound = rows;
	}

	/** Back to the placeholder's own rows: the master, or its float16 copy refreshed from it. */
	void unbind() {
		if (halfRows != null) {
			try (GradMode ng = GradMode.noGrad(); NDManager s = master.getManager().newSubManager()) {
				NDArray h = master.toType(halfRows.getDataType(), true);
				h.attach(s);
				halfRows.set(h.toByteBuffer());
			}
		}
		bind(halfRows != null ? halfRows : master);
	}

	/** The token's tensor from a map of values by registry name (tolerates maps without it). */
	NDArray from(Map<String, NDArray> values) {
		return values.get(token);
	}

	/** The rows as an embedding record (float32 values). */
	static Embedding toEmbedding(NDArray rows, String token, String source) {
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

	/** Removes the token from the model and frees the float16 copy. */
	void close() {
		model.removeToken(token);
		if (halfRows != null) halfRows.close();
	}
}
