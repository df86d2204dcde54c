package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.Rng;
import io.github.diffusej.export.BaseModelVersion;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.adapter.LoraNetwork;
import io.github.diffusej.model.adapter.LoraSpec;
import io.github.diffusej.model.adapter.Targets;
import io.github.diffusej.schedule.PredictionType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA and DoRA adapters (Hu et al. 2021; Liu et al. 2024) on the UNet and optionally the text encoder, with an
 * optional new token trained jointly (pivotal tuning, as kohya's and OneTrainer's "embedding + LoRA"). The
 * adapters are a {@link LoraNetwork} named {@value #NAME} beside any LoRA files the model has loaded, so a
 * validation with a user's style LoRA, or training on top of an existing LoRA, needs nothing special. Its
 * tensors are registered under their kohya file keys (groups {@code unet} and {@code text_encoder}); the token,
 * if any, under its own name (group {@code token}).
 *
 * <p>Files: {@code <stem>.safetensors} in kohya's layout with {@code ss_*} metadata and ModelSpec (InvokeAI,
 * ComfyUI, A1111 and diffusers load it as is), the new token's embedding as {@code <token>.safetensors} (and
 * inside the LoRA as {@code bundle_emb} when asked), and optionally {@code pytorch_lora_weights.safetensors} in the
 * diffusers/PEFT layout.
 */
public final class LoraTraining implements TrainingMethod {

	/** The adapter name of the trained network on each layer. */
	public static final String NAME = "train";

	private StableDiffusionModel model;
	private TrainConfig config;
	private LoraNetwork net;
	private Placeholder placeholder;

	@Override
	public String label() {
		TrainConfig.Lora l = config == null ? null : config.lora();
		return (l != null && l.dora() ? "DoRA" : "LoRA") + (l != null && l.token() != null ? " with a new token" : "");
	}

	@Override
	public void attach(StableDiffusionModel model, TrainConfig config, Trainables registry, Rng init)
		throws IOException
	{
		this.model = model;
		this.config = config;
		TrainConfig.Lora l = config.lora();
		Targets targets;
		try {
			targets = Targets.parse(l.targets()).withTextEncoder(l.textEncoder());
		}
		catch (IllegalArgumentException e) {
			throw new TrainingException("lora.targets: " + e.getMessage());
		}
		LoraSpec spec = LoraSpec.of(l.rank(), l.alpha());
		if (l.convRank() > 0) spec = spec.withConv(l.convRank(), l.convAlpha());
		if (l.dora()) spec = spec.withDora(true);
		try {
			net = LoraNetwork.attach(model, NAME, targets, spec, init, registry.manager());
		}
		catch (IllegalArgumentException | IllegalStateException e) {
			throw new TrainingException("lora: " + e.getMessage());
		}
		for (LoraNetwork.TrainableTensor t : net.tensors().values())
			registry.add(t.key(), t.master(), t.group() == LoraNetwork.Group.UNET ? "unet" : "text_encoder");
		if (l.token() != null) placeholder = Placeholder.create(model, registry, l.token(), l.tokenVectors(),
			l.tokenInitializer() == null ? "cell" : l.tokenInitializer(), null, "token", "lora.token");
	}

	/** The trained network (for tests and previews). */
	public LoraNetwork network() {
		return net;
	}

	@Override
	public void bind(Map<String, NDArray> tensors) {
		Map<String, NDArray> lora = new LinkedHashMap<>();
		tensors.forEach((k, v) -> {
			if (net.tensors().containsKey(k)) lora.put(k, v);
		});
		net.use(lora);
		if (placeholder != null && placeholder.from(tensors) != null) placeholder.bind(placeholder.from(tensors));
	}

	@Override
	public void unbind() {
		net.useMasters();
		if (placeholder != null) placeholder.unbind();
	}

	@Override
	public String trigger() {
		if (placeholder != null) return placeholder.token();
		return config.captions().trigger();
	}

	@Override
	public boolean trainsTextEncoder() {
		return config.lora().textEncoder() || placeholder != null;
	}

	@Override
	public NDArray encode(NDArray ids, int clipSkip, NDManager scope) {
		return model.textEncoder().encode(ids, Math.max(0, clipSkip - 1));
	}

	@Override
	public List<Path> export(Path dir, String stem, Map<String, NDArray> values, Map<String, String> metadata)
		throws IOException
	{
		String arch = metadata.getOrDefault("modelspec.architecture", "stable-diffusion-v1/lora");
		String base = arch.substring(0, arch.indexOf('/'));
		BaseModelVersion version = BaseModelVersion.SD_V1;
		for (BaseModelVersion v : BaseModelVersion.values())
			if (v.modelSpec.equals(base)) version = v;
		PredictionType prediction = PredictionType.parse(metadata.getOrDefault("modelspec.prediction_type", "epsilon"));
		String res = metadata.getOrDefault("modelspec.resolution", "512x512");
		int w = Integer.parseInt(res.substring(0, res.indexOf('x'))), h = Integer.parseInt(res.substring(res.indexOf('x') + 1));
		Map<String, String> extra = new LinkedHashMap<>();
		metadata.forEach((k, v) -> {
			if (!k.startsWith("modelspec.architecture") && !k.equals("modelspec.resolution")
				&& !k.equals("modelspec.prediction_type")) extra.put(k, v);
		});
		LoraFile.TrainingInfo info = new LoraFile.TrainingInfo(stem, version, prediction, w, h,
			Long.parseLong(metadata.getOrDefault("diffusej.steps", "0")), Long.parseLong(metadata.getOrDefault("diffusej.seed", "0")),
			metadata.getOrDefault("modelspec.description", ""), trigger(), extra);
		List<Embedding> bundled = new ArrayList<>();
		Embedding token = null;
		if (placeholder != null) {
			token = Placeholder.toEmbedding(placeholder.from(values), placeholder.token(), stem);
			if (config.lora().bundleEmbedding()) bundled.add(token);
		}
		List<Path> out = new ArrayList<>();
		Path lora = dir.resolve(stem + ".safetensors");
		LoraFile.write(lora, net, key -> floats(values.get(key)), info, bundled, LoraFile.Layout.KOHYA);
		out.add(lora);
		if (token != null) {
			String t = TrainConfig.fileStem(placeholder.token());
			Path emb = dir.resolve(t == null || t.equals(stem) ? stem + "-embedding.safetensors" : t + ".safetensors");
			Map<String, String> meta = new LinkedHashMap<>(metadata);
			meta.put("modelspec.architecture", base + "/textual-inversion");
			EmbeddingFile.write(emb, token, EmbeddingFile.Layout.EMB_PARAMS, base, meta);
			out.add(emb);
		}
		if (config.lora().peftFormat()) {
			Path peft = dir.resolve("pytorch_lora_weights.safetensors");
			LoraFile.write(peft, net, key -> floats(values.get(key)), info, List.of(), LoraFile.Layout.DIFFUSERS);
			out.add(peft);
		}
		return out;
	}

	private static float[] floats(NDArray a) {
		if (a == null) throw new IllegalArgumentException("no values for a LoRA tensor");
		if (a.getDataType() == DataType.FLOAT32) return a.toFloatArray();
		try (NDManager s = a.getManager().newSubManager()) {
			NDArray f = a.toType(DataType.FLOAT32, true);
			f.attach(s);
			return f.toFloatArray();
		}
	}

	@Override
	public void close() {
		if (net != null) net.remove();
		if (placeholder != null) placeholder.close();
		net = null;
		placeholder = null;
	}
}
