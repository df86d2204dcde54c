package io.github.diffusej.model;

import io.github.diffusej.io.AtomicFiles;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Param;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.tokenize.TinyVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a complete, tiny, random-weight Stable Diffusion 1.x model as a diffusers folder: the SD1 architecture
 * with 32/64-channel blocks (32x32 pixel images, 16x16 latents), a 4-layer CLIP text encoder of width 32 and a
 * small byte-level BPE vocabulary. Made deterministically from a seed, so demos and tests run anywhere without
 * downloading a real model. Its images are coloured noise until it is trained: it proves the machinery, not art.
 */
public final class TinyModel {

	/** Words the tiny vocabulary learns merges from (imaging vocabulary plus common prompt words). */
	static final List<String> WORDS = List.of(("a an the of and with in on at photo image picture micrograph " +
		"microscope microscopy fluorescent fluorescence confocal widefield brightfield phase contrast cell cells " +
		"nucleus nuclei membrane mitochondria actin tubulin stain stained dapi gfp red green blue cyan magenta " +
		"yellow white black grey gray bright dark sharp blurry noisy low high quality detailed tissue section " +
		"organoid bacteria yeast neuron neurons dendrite axon culture sample slide scale bar pixel micron " +
		"texture pattern structure tile crop channel stack slice time lapse of cat dog person painting style " +
		"sketch drawing render art by in the style").split(" "));

	static final String TEXT_ENCODER = """
		{"architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "hidden_act": "quick_gelu",
		 "hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 4,
		 "max_position_embeddings": 77, "layer_norm_eps": 1e-05, "bos_token_id": 0, "eos_token_id": 2,
		 "pad_token_id": 1, "projection_dim": 32, "vocab_size": %d, "torch_dtype": "float32"}""";

	static final String UNET = """
		{"_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
		 "block_out_channels": [32, 64], "center_input_sample": false, "cross_attention_dim": 32,
		 "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "downsample_padding": 1,
		 "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
		 "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4,
		 "sample_size": 16, "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "use_linear_projection": false,
		 "upcast_attention": false}""";

	static final String VAE = """
		{"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [32, 64],
		 "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "in_channels": 3, "latent_channels": 4,
		 "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 32,
		 "scaling_factor": 0.18215, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"]}""";

	static final String SCHEDULER = """
		{"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
		 "beta_start": 0.00085, "clip_sample": false, "num_train_timesteps": 1000, "set_alpha_to_one": false,
		 "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null}""";

	static final String MODEL_INDEX = """
		{"_class_name": "StableDiffusionPipeline", "requires_safety_checker": false,
		 "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
		 "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
		 "vae": ["diffusers", "AutoencoderKL"]}""";

	private TinyModel() {}

	/** Writes the model into {@code dir} (created; must not already hold a model). Returns {@code dir}. */
	public static Path write(Path dir, long seed) throws IOException {
		if (Files.exists(dir.resolve("model_index.json"))) throw new IOException(dir + " already holds a model");
		Files.createDirectories(dir);
		int vocab = TinyVocabulary.write(dir.resolve("tokenizer"), WORDS, 800);
		String te = TEXT_ENCODER.formatted(vocab);
		AtomicFiles.writeString(dir.resolve("text_encoder/config.json"), te);
		AtomicFiles.writeString(dir.resolve("unet/config.json"), UNET);
		AtomicFiles.writeString(dir.resolve("vae/config.json"), VAE);
		AtomicFiles.writeString(dir.resolve("scheduler/scheduler_config.json"), SCHEDULER);
		Random rng = new Random(seed);
		writeWeights(new CLIPTextModel(Configs.parse(te, CLIPTextConfig.class)), rng,
			dir.resolve("text_encoder/model.safetensors"));
		writeWeights(new UNet2DConditionModel(Configs.parse(UNET, UNet2DConditionConfig.class)), rng,
			dir.resolve("unet/diffusion_pytorch_model.safetensors"));
		writeWeights(new AutoencoderKL(Configs.parse(VAE, AutoencoderKLConfig.class)), rng,
			dir.resolve("vae/diffusion_pytorch_model.safetensors"));
		// model_index.json last: a folder without it is not taken for a complete model.
		AtomicFiles.writeString(dir.resolve("model_index.json"), MODEL_INDEX);
		return dir;
	}

	/**
	 * PyTorch's default initialisation: weights U(±1/√fan_in), embeddings N(0, 0.02²), norm scales 1, biases
	 * U(±0.05) (small but non-zero so that a forgotten bias shows in tests).
	 */
	private static void writeWeights(Network net, Random rng, Path file) throws IOException {
		SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
		for (Map.Entry<String, Param> e : net.parameters().entrySet()) {
			long[] shape = e.getValue().shape().getShape();
			float[] v = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
			String key = e.getKey();
			if (key.contains("embedding")) for (int i = 0; i < v.length; i++) v[i] = (float) (0.02 * rng.nextGaussian());
			else if (shape.length >= 2) {
				double bound = 1 / Math.sqrt(v.length / (double) shape[0]);
				for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
			}
			else if (key.endsWith(".weight")) Arrays.fill(v, 1f);
			else for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * 0.05);
			w.putFloats(key, shape, v);
		}
		w.write(file);
	}
}
