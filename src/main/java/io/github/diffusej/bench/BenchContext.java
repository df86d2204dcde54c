package io.github.diffusej.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.loader.ComponentFiles;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFamily;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.schedule.SchedulerConfig;
import io.github.diffusej.tokenize.ClipTokenizer;
import io.github.diffusej.tokenize.TinyVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a benchmark case runs on, inside its own process: the model (an SD 1.5-size network with random weights
 * made from the bundled SD1 configs, the tiny model, or a real checkpoint), device, dtype and the number of runs.
 * Networks are built on first use, so a case holds only the components it measures.
 */
public final class BenchContext implements AutoCloseable {

	/** The model spec for the SD 1.5-size random-weight model. */
	public static final String SD15 = "sd15";
	/** The model spec for the tiny random model ({@link TinyModel}). */
	public static final String TINY = "tiny";

	private final String model;
	private final Device device;
	private final DataType dtype;
	private final int warmups;
	private final int repeats;
	private final NDManager weights;
	private final List<String> notes = new ArrayList<>();
	private Path tmp;
	private ModelFiles files;
	private UNet2DConditionModel unet;
	private AutoencoderKL vae;
	private CLIPTextModel textEncoder;
	private StableDiffusionModel pipeline;
	private long setupRss = -1;
	private long peakGpu;
	private final List<Double> cpu = new ArrayList<>();
	private final Map<String, Double> metrics = new LinkedHashMap<>();

	/**
	 * @param model {@link #SD15}, {@link #TINY} or the path of a diffusers folder / single-file checkpoint
	 * @param warmups untimed runs before the timed ones, or -1 for the case's default
	 * @param repeats timed runs, or -1 for the case's default
	 */
	public BenchContext(String model, Device device, DataType dtype, int warmups, int repeats) {
		this.model = model;
		this.device = device;
		this.dtype = dtype;
		this.warmups = warmups;
		this.repeats = repeats;
		weights = NDManager.newBaseManager(device);
	}

	public String model() {
		return model;
	}

	/** Whether this is the tiny model (cases then use small images). */
	public boolean tiny() {
		return model.equals(TINY);
	}

	public Device device() {
		return device;
	}

	public DataType dtype() {
		return dtype;
	}

	/** The manager of the weights (and of anything else meant to live as long as the case). */
	public NDManager manager() {
		return weights;
	}

	public int warmups(int caseDefault) {
		return warmups >= 0 ? warmups : caseDefault;
	}

	public int repeats(int caseDefault) {
		return repeats > 0 ? repeats : caseDefault;
	}

	/** Adds a remark to the row (what was measured, settings taken). */
	public void note(String s) {
		notes.add(s);
	}

	List<String> notes() {
		return notes;
	}

	/** RSS when the first run started (weights and set-up), or -1 when nothing was timed. */
	long setupRss() {
		return setupRss;
	}

	long peakGpu() {
		return peakGpu;
	}

	/** CPU seconds (all threads) of each timed run, in run order. */
	List<Double> cpuSeconds() {
		return cpu;
	}

	/** Adds the CPU seconds of a run timed by the case itself rather than by {@link #time}. */
	void addCpuSeconds(double seconds) {
		cpu.add(seconds);
	}

	/** Takes the set-up RSS now, for a case that times its runs itself. */
	void markSetup() {
		if (setupRss < 0) setupRss = ProcessMemory.rss();
	}

	/** Records a named figure of the row beside its times (written to the JSON). */
	void metric(String name, double value) {
		metrics.put(name, value);
	}

	Map<String, Double> metrics() {
		return metrics;
	}

	/** Pixel size per latent pixel of the model's VAE, from its config. */
	public int vaeScale() throws IOException {
		AutoencoderKLConfig c = Configs.parse(config("vae").toString(), AutoencoderKLConfig.class);
		return 1 << (c.blockOutChannels().size() - 1);
	}

	/** The UNet's config, without building or loading the network. */
	public UNet2DConditionConfig unetConfig() throws IOException {
		return unet != null ? unet.config() : Configs.parse(config("unet").toString(), UNet2DConditionConfig.class);
	}

	public UNet2DConditionModel unet() throws IOException {
		if (unet == null) unet = build(new UNet2DConditionModel(Configs.parse(config("unet").toString(),
			UNet2DConditionConfig.class)), "unet", 2);
		return unet;
	}

	public AutoencoderKL vae() throws IOException {
		if (vae == null) vae = build(new AutoencoderKL(Configs.parse(config("vae").toString(), AutoencoderKLConfig.class)),
			"vae", 3);
		return vae;
	}

	public CLIPTextModel textEncoder() throws IOException {
		if (textEncoder == null) textEncoder = build(new CLIPTextModel(Configs.parse(config("text_encoder").toString(),
			CLIPTextConfig.class)), "text_encoder", 1);
		return textEncoder;
	}

	/** The whole pipeline (tokenizer, networks, scheduler) for generation; owns its own weights. */
	public StableDiffusionModel pipeline() throws IOException {
		if (pipeline != null) return pipeline;
		if (!model.equals(SD15)) {
			pipeline = StableDiffusionModel.load(modelPath(), LoadOptions.defaults(), device, dtype, this::note);
			return pipeline;
		}
		NDManager m = NDManager.newBaseManager(device);
		CLIPTextModel te = new CLIPTextModel(Configs.parse(config("text_encoder").toString(), CLIPTextConfig.class));
		UNet2DConditionModel u = new UNet2DConditionModel(Configs.parse(config("unet").toString(),
			UNet2DConditionConfig.class));
		AutoencoderKL v = new AutoencoderKL(Configs.parse(config("vae").toString(), AutoencoderKLConfig.class));
		RandomWeights.fill(te, m, dtype, 1);
		RandomWeights.fill(u, m, dtype, 2);
		RandomWeights.fill(v, m, dtype, 3);
		// The real CLIP vocabulary is not bundled; a small one, padded to the table's size so that the special
		// tokens and an added placeholder get CLIP's ids, tokenizes the prompts.
		Path tok = tmp().resolve("tokenizer");
		TinyVocabulary.write(tok, List.of("a", "fluorescent", "micrograph", "of", "dividing", "cells", "blurry"), 50,
			te.config().vocabSize());
		SchedulerConfig sc = SchedulerConfig.parse(ModelLoader.bundled(ModelFamily.SD1, "scheduler/scheduler_config.json"),
			null);
		pipeline = StableDiffusionModel.assemble(Path.of("random SD 1.5"), ClipTokenizer.fromFolder(tok), te, u, v, sc, m,
			dtype);
		return pipeline;
	}

	private <N extends Network> N build(N net, String component, long seed) throws IOException {
		if (model.equals(SD15)) RandomWeights.fill(net, weights, dtype, seed);
		else net.loadWeights(component(component).weights(), weights, dtype);
		return net;
	}

	private JsonObject config(String component) throws IOException {
		if (model.equals(SD15)) return ModelLoader.bundled(ModelFamily.SD1, component + "/config.json");
		return component(component).config();
	}

	private ComponentFiles component(String name) throws IOException {
		if (files == null) files = ModelLoader.open(modelPath(), LoadOptions.defaults());
		return switch (name) {
			case "unet" -> files.unet();
			case "vae" -> files.vae();
			default -> files.textEncoder();
		};
	}

	/** The model folder or file ({@link #TINY}: the tiny model, written on first use); not for {@link #SD15}. */
	Path modelPath() throws IOException {
		if (model.equals(TINY)) {
			Path dir = tmp().resolve("tiny");
			if (!Files.exists(dir)) TinyModel.write(dir, 1);
			return dir;
		}
		return Path.of(model);
	}

	/** A temporary folder of this case, deleted when the context closes. */
	Path tmp() throws IOException {
		if (tmp == null) tmp = Files.createTempDirectory("diffusej-bench");
		return tmp;
	}

	/**
	 * Runs {@code body} {@code warmups} times untimed, then {@code repeats} times timed; returns seconds per run
	 * (the CPU seconds of each run are kept too). The first call records the set-up RSS (weights, inputs); the GPU's memory in use is sampled after each run.
	 */
	public List<Double> time(int warmups, int repeats, ThrowingRunnable body) throws Exception {
		if (setupRss < 0) setupRss = ProcessMemory.rss();
		for (int i = 0; i < warmups; i++) {
			body.run();
			sampleGpu();
		}
		List<Double> s = new ArrayList<>();
		for (int i = 0; i < repeats; i++) {
			double c0 = ProcessMemory.cpuSeconds();
			long t0 = System.nanoTime();
			body.run();
			s.add((System.nanoTime() - t0) / 1e9);
			cpu.add(ProcessMemory.cpuSeconds() - c0);
			sampleGpu();
		}
		return s;
	}

	private void sampleGpu() {
		if (device.isGpu()) peakGpu = Math.max(peakGpu, ProcessMemory.gpuUsed(device));
	}

	/** A body that may throw (model loading inside a run, I/O). */
	@FunctionalInterface
	public interface ThrowingRunnable {
		void run() throws Exception;
	}

	@Override
	public void close() throws IOException {
		if (pipeline != null) pipeline.close();
		weights.close();
		if (files != null) files.close();
		if (tmp != null) {
			try (Stream<Path> s = Files.walk(tmp)) {
				for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
			}
		}
	}
}
