package io.github.diffusej.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import io.github.diffusej.export.Embedding;
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
 * weights on one device in one manager. Generation and the trainers share it. Textual-inversion embeddings are
 * added as extra token rows (the frozen vocabulary table is never copied).
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
	private final List<Embedding> embeddings = new ArrayList<>();

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
			te.loadWeights(files.textEncoder().weights(), manager, dtype);
			unet.loadWeights(files.unet().weights(), manager, dtype);
			vae.loadWeights(files.vae().weights(), manager, dtype);
			tok = ClipTokenizer.fromFolder(files.tokenizerDir());
			if (tok.vocabSize() != te.config().vocabSize()) throw new IOException(path + ": the tokenizer in " +
				files.tokenizerDir() + " has " + tok.vocabSize() + " tokens but the text encoder expects " +
				te.config().vocabSize());
			SchedulerConfig sc = SchedulerConfig.parse(files.schedulerConfig(), path);
			return new StableDiffusionModel(path, files, tok, te, unet, vae, sc, manager, dtype);
		}
		catch (IOException | RuntimeException e) {
			if (tok != null) tok.close();
			manager.close();
			throw e;
		}
	}

	/** The weights dtype DiffuseJ uses on a device: float16 on a GPU, float32 on the CPU (fp16 is slow there). */
	public static DataType defaultDtype(Device device) {
		return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
	}

	private static <T> T parse(ComponentFiles c, Class<T> type) throws IOException {
		JsonObject json = c.config();
		try {
			return Configs.parse(json.toString(), type);
		}
		catch (RuntimeException e) {
			throw new IOException(c.configOrigin() + ": " + e.getMessage(), e);
		}
	}

	public Path source() {
		return source;
	}

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

	/** The embeddings added so far, in token-id order. */
	public List<Embedding> embeddings() {
		return List.copyOf(embeddings);
	}

	/**
	 * Adds a textual-inversion embedding: its tokens join the tokenizer and its vectors become extra token rows.
	 * An embedding of the wrong width (e.g. an SD2 embedding on SD1) or a trigger that is already an ordinary
	 * word of the vocabulary is refused with a message naming the file.
	 */
	public void addEmbedding(Embedding e) {
		long dim = textEncoder.config().hiddenSize();
		if (e.dim() != dim) throw new IllegalArgumentException(e.source() + ": embedding '" + e.token() + "' has width " +
			e.dim() + " but this model's text encoder has width " + dim + (e.dim() == 768 ? " (an SD 1.x embedding)" :
				e.dim() == 1024 ? " (an SD 2.x embedding)" : e.dim() == 1280 ? " (an SDXL embedding)" : ""));
		int vocab = (int) textEncoder.embeddings().tokenEmbedding().count();
		for (String t : e.tokens()) {
			if (tokenizer.tokenId(t) >= 0 && tokenizer.tokenId(t) < vocab) throw new IllegalArgumentException(
				e.source() + ": trigger '" + t + "' is already a word of the vocabulary; use a distinct trigger such " +
					"as <" + t + ">");
			if (embeddings.stream().anyMatch(o -> o.tokens().contains(t))) throw new IllegalArgumentException(
				e.source() + ": trigger '" + t + "' is already used by another loaded embedding");
		}
		for (String t : e.tokens()) {
			int id = tokenizer.addToken(t);
			int expected = vocab + embeddings.stream().mapToInt(Embedding::count).sum() + e.tokens().indexOf(t);
			if (id != expected) throw new IllegalStateException("token '" + t + "' got id " + id + ", expected " + expected);
		}
		embeddings.add(e);
		rebuildExtraRows();
	}

	private void rebuildExtraRows() {
		NDArray old = textEncoder.embeddings().extraTokens();
		int rows = embeddings.stream().mapToInt(Embedding::count).sum();
		long dim = textEncoder.config().hiddenSize();
		float[] flat = new float[(int) (rows * dim)];
		int r = 0;
		for (Embedding e : embeddings)
			for (float[] v : e.vectors()) System.arraycopy(v, 0, flat, (int) (r++ * dim), (int) dim);
		NDArray extra = manager.create(flat, new Shape(rows, dim)).toType(dtype, false);
		textEncoder.embeddings().setExtraTokens(extra);
		if (old != null) old.close();
	}

	/** A prompt with every multi-vector trigger expanded to all of its tokens. */
	public String expandTriggers(String prompt) {
		for (Embedding e : embeddings) prompt = e.expand(prompt);
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
