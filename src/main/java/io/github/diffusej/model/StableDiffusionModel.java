package io.github.diffusej.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.loader.ComponentFiles;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.schedule.SchedulerConfig;
import io.github.diffusej.tokenize.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A loaded Stable Diffusion 1.x/2.x model: tokenizer, text encoder, UNet, VAE and scheduler config, with its
 * weights on one device in one manager. Generation and the trainers share it. Textual-inversion embeddings
 * (loaded from files, frozen) and trainable placeholders live side by side as extra token rows, registered and
 * removed explicitly; the frozen vocabulary table is never copied or changed.
 */
public final class StableDiffusionModel implements AutoCloseable {

	private final Path source;
	private final ModelFiles files;
	private final ClipTokenizer tokenizer;
	private final CLIPTextModel textEncoder;
	private final UNet2DConditionModel unet;
	private final AutoencoderKL vae;
	private final SchedulerConfig schedulerConfig;
	private final NDManager manager;
	private final DataType dtype;
	private final List<TokenRows> tokenRows = new ArrayList<>();

	private StableDiffusionModel(Path source, ModelFiles files, ClipTokenizer tokenizer, CLIPTextModel textEncoder,
		UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig, NDManager manager, DataType dtype)
	{
		this.source = source;
		this.files = files;
		this.tokenizer = tokenizer;
		this.textEncoder = textEncoder;
		this.unet = unet;
		this.vae = vae;
		this.schedulerConfig = schedulerConfig;
		this.manager = manager;
		this.dtype = dtype;
	}

	/**
	 * Loads a diffusers folder or single-file checkpoint onto {@code device}. Weights are {@code dtype}
	 * (FLOAT32 on the CPU; FLOAT16 may be used on a GPU). {@code log} receives notes such as fallbacks taken.
	 */
	public static StableDiffusionModel load(Path path, LoadOptions options, Device device, DataType dtype,
		Consumer<String> log) throws IOException
	{
		if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.FLOAT64)
			throw new IllegalArgumentException("weights dtype must be float32, float16 or float64, not " + dtype);
		NDManager manager = NDManager.newBaseManager(device);
		ClipTokenizer tok = null;
		try (ModelFiles files = ModelLoader.open(path, options)) {
			files.notes().forEach(log);
			CLIPTextModel te = new CLIPTextModel(parse(files.textEncoder(), CLIPTextConfig.class));
			UNet2DConditionModel unet = new UNet2DConditionModel(parse(files.unet(), UNet2DConditionConfig.class));
			AutoencoderKL vae = new AutoencoderKL(parse(files.vae(), AutoencoderKLConfig.class));
			// the tokenizer is checked against the text encoder before any weight is read
			tok = ClipTokenizer.fromFolder(files.tokenizerDir());
			if (tok.maxLength() > te.config().maxPositionEmbeddings()) throw new IOException(files.tokenizerDir() +
				": model_max_length " + tok.maxLength() + " exceeds the text encoder's max_position_embeddings " +
				te.config().maxPositionEmbeddings() + " (" + files.textEncoder().configOrigin() + ")");
			if (tok.vocabSize() != te.config().vocabSize()) throw new IOException(path + ": the tokenizer in " +
				files.tokenizerDir() + " has " + tok.vocabSize() + " tokens but the text encoder expects " +
				te.config().vocabSize());
			te.loadWeights(files.textEncoder().weights(), manager, dtype);
			unet.loadWeights(files.unet().weights(), manager, dtype);
			vae.loadWeights(files.vae().weights(), manager, dtype);
			SchedulerConfig sc = SchedulerConfig.parse(files.schedulerConfig(), path);
			return new StableDiffusionModel(path, files, tok, te, unet, vae, sc, manager, dtype);
		}
		catch (IOException | RuntimeException e) {
			if (tok != null) tok.close();
			manager.close();
			throw e;
		}
	}

	/**
	 * A model from networks that already hold their weights in {@code manager} (for example random weights made in
	 * memory by the benchmark): nothing is read from disk. The model takes ownership of the manager and the
	 * tokenizer; {@code source} only names the model in messages.
	 */
	public static StableDiffusionModel assemble(Path source, ClipTokenizer tokenizer, CLIPTextModel textEncoder,
		UNet2DConditionModel unet, AutoencoderKL vae, SchedulerConfig schedulerConfig, NDManager manager, DataType dtype)
	{
		return new StableDiffusionModel(source, null, tokenizer, textEncoder, unet, vae, schedulerConfig, manager, dtype);
	}

	/** The weights dtype DiffuseJ uses on a device: float16 on a GPU, float32 on the CPU (fp16 is slow there). */
	public static DataType defaultDtype(Device device) {
		return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
	}

	private static <T> T parse(ComponentFiles c, Class<T> type) throws IOException {
		try {
			return Configs.parse(c.config(), type, c.configOrigin());
		}
		catch (IllegalArgumentException e) {
			throw new IOException(e.getMessage(), e);
		}
	}

	public Path source() {
		return source;
	}

	/** The files the model was loaded from, or null for a model {@linkplain #assemble assembled} in memory. */
	public ModelFiles files() {
		return files;
	}

	public ClipTokenizer tokenizer() {
		return tokenizer;
	}

	public CLIPTextModel textEncoder() {
		return textEncoder;
	}

	public UNet2DConditionModel unet() {
		return unet;
	}

	public AutoencoderKL vae() {
		return vae;
	}

	public SchedulerConfig schedulerConfig() {
		return schedulerConfig;
	}

	/** The manager holding the weights (and the device they live on). */
	public NDManager manager() {
		return manager;
	}

	public Device device() {
		return manager.getDevice();
	}

	public DataType dtype() {
		return dtype;
	}

	/** Pixel size per latent pixel: 2^(VAE down blocks - 1), 8 for SD. */
	public int vaeScale() {
		return 1 << (vae.config().blockOutChannels().size() - 1);
	}

	public int latentChannels() {
		return unet.config().inChannels();
	}

	/**
	 * One run of extra token rows: a textual-inversion embedding loaded from a file (frozen rows owned by the
	 * model) or a trainable placeholder (rows owned by the trainer, which marks them trainable).
	 */
	private record TokenRows(Embedding embedding, NDArray rows, boolean trainable) {}

	/** The embeddings loaded from files, in token-id order (trainable placeholders are not listed). */
	public List<Embedding> embeddings() {
		return tokenRows.stream().filter(t -> !t.trainable()).map(TokenRows::embedding).toList();
	}

	/** Every trigger with extra rows (loaded and trainable), in token-id order. */
	public List<String> extraTokens() {
		return tokenRows.stream().map(t -> t.embedding().token()).toList();
	}

	/**
	 * Adds a textual-inversion embedding: its tokens join the tokenizer and its vectors become extra token rows,
	 * frozen. An embedding of the wrong width (e.g. an SD2 embedding on SD1) or a trigger that is already an
	 * ordinary word of the vocabulary or another embedding's is refused with a message naming the file.
	 */
	public void addEmbedding(Embedding e) {
		checkNewTokens(e);
		long dim = textEncoder.config().hiddenSize();
		float[] flat = new float[(int) (e.count() * dim)];
		for (int r = 0; r < e.count(); r++) System.arraycopy(e.vectors()[r], 0, flat, (int) (r * dim), (int) dim);
		NDArray rows = manager.create(flat, new Shape(e.count(), dim)).toType(dtype, false);
		install(new TokenRows(e, rows, false));
	}

	/**
	 * Registers trainable placeholder rows for {@code placeholder} (a multi-vector token takes {@code token},
	 * {@code token_1}, ... as a loaded embedding does). {@code rows} [n, D] are used as given: the caller owns
	 * them (marks them trainable, updates them in place, closes them) and removes them with {@link #removeToken}.
	 * Returns the token ids of the rows.
	 */
	public int[] addTrainableToken(String placeholder, NDArray rows) {
		long dim = textEncoder.config().hiddenSize();
		if (rows.getShape().dimension() != 2 || rows.getShape().get(1) != dim) throw new IllegalArgumentException(
			"trainable rows for '" + placeholder + "' must be [n, " + dim + "], got " + rows.getShape());
		if (rows.getDataType() != dtype) throw new IllegalArgumentException("trainable rows for '" + placeholder
			+ "' are " + rows.getDataType() + " but the text encoder runs in " + dtype);
		Embedding shape = new Embedding(placeholder, new float[(int) rows.getShape().get(0)][(int) dim],
			"trainable rows");
		checkNewTokens(shape);
		install(new TokenRows(shape, rows, true));
		int first = tokenizer.tokenId(placeholder);
		int[] ids = new int[shape.count()];
		for (int i = 0; i < ids.length; i++) ids[i] = first + i;
		return ids;
	}

	/**
	 * Swaps the rows of a registered trainable placeholder (e.g. for a half-precision working copy made for one
	 * step); the new rows must have the same shape and dtype.
	 */
	public void replaceTrainableRows(String placeholder, NDArray rows) {
		for (int i = 0; i < tokenRows.size(); i++) {
			TokenRows t = tokenRows.get(i);
			if (!t.trainable() || !t.embedding().token().equals(placeholder)) continue;
			if (!t.rows().getShape().equals(rows.getShape()) || t.rows().getDataType() != rows.getDataType())
				throw new IllegalArgumentException("rows " + rows.getShape() + " " + rows.getDataType()
					+ " do not replace " + t.rows().getShape() + " " + t.rows().getDataType());
			tokenRows.set(i, new TokenRows(t.embedding(), rows, true));
			publishRows();
			return;
		}
		throw new IllegalArgumentException("no trainable token '" + placeholder + "'");
	}

	/**
	 * Removes an embedding or trainable placeholder and its tokens; the tokens of later ones are renumbered.
	 * Frozen rows are closed; trainable rows stay with their owner. Returns false when the token was not there.
	 */
	public boolean removeToken(String token) {
		int index = -1;
		for (int i = 0; i < tokenRows.size(); i++)
			if (tokenRows.get(i).embedding().token().equals(token)) index = i;
		if (index < 0) return false;
		TokenRows gone = tokenRows.remove(index);
		tokenizer.removeAddedTokensFrom(baseVocab());
		for (TokenRows t : tokenRows)
			for (String tok : t.embedding().tokens()) tokenizer.addToken(tok);
		publishRows();
		if (!gone.trainable()) gone.rows().close();
		return true;
	}

	private int baseVocab() {
		return (int) textEncoder.embeddings().tokenEmbedding().count();
	}

	private void checkNewTokens(Embedding e) {
		int vocab = baseVocab();
		e.checkFits(textEncoder.config().hiddenSize(), t -> {
			int id = tokenizer.tokenId(t);
			return id >= 0 && id < vocab;
		}, t -> tokenRows.stream().anyMatch(o -> o.embedding().tokens().contains(t)));
	}

	private void install(TokenRows t) {
		int expected = baseVocab() + (int) textEncoder.embeddings().extraRowCount();
		for (String tok : t.embedding().tokens()) {
			int id = tokenizer.addToken(tok);
			if (id != expected++) throw new IllegalStateException("token '" + tok + "' got id " + id + ", expected "
				+ (expected - 1));
		}
		tokenRows.add(t);
		publishRows();
	}

	private void publishRows() {
		textEncoder.embeddings().setExtraSegments(tokenRows.stream().map(TokenRows::rows).toList());
	}

	/** A prompt with every multi-vector trigger expanded to all of its tokens. */
	public String expandTriggers(String prompt) {
		for (TokenRows t : tokenRows) prompt = t.embedding().expand(prompt);
		return prompt;
	}

	/** The adaptable (Linear/Conv2d) layers of UNet and text encoder, with weight shapes, for LoRA resolution. */
	public Map<String, Map<String, long[]>> adaptableLayers() {
		Map<String, Map<String, long[]>> out = new LinkedHashMap<>();
		out.put("unet", layersOf(unet));
		out.put("text_encoder", layersOf(textEncoder));
		return out;
	}

	public Network network(String component) {
		return switch (component) {
			case "unet" -> unet;
			case "text_encoder" -> textEncoder;
			default -> throw new IllegalArgumentException("no adaptable component " + component);
		};
	}

	private static Map<String, long[]> layersOf(Network n) {
		Map<String, long[]> m = new LinkedHashMap<>();
		n.modules().forEach((p, mod) -> {
			if (mod instanceof AdaptableLayer l) m.put(p, l.weight().shape().getShape());
		});
		return m;
	}

	@Override
	public void close() {
		tokenizer.close();
		manager.close();
	}
}
