package io.github.diffusej.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's rows. Full-size models (SD 1.5-size random weights, or a real checkpoint) are measured at 256
 * and 512 px; the tiny model at 32 and 64 px. Each case builds only the networks it measures.
 */
public final class BenchCases {

	/** Image sides of the rows for full-size models and for the tiny model. */
	static final int[] FULL_SIZES = {256, 512};
	static final int[] TINY_SIZES = {32, 64};

	private static final String PROMPT = "a fluorescent micrograph of dividing cells";

	private BenchCases() {}

	/** Every case, in table order, for the tiny model or for full-size models. */
	public static List<BenchCase> all(boolean tiny) {
		int[] sizes = tiny ? TINY_SIZES : FULL_SIZES;
		int lo = sizes[0], hi = sizes[1];
		List<BenchCase> l = new ArrayList<>();
		l.add(new BenchCase("matmul", "matmul 2048x2048x2048 fp32 (this machine's peak)", 2, 9, null,
			BenchCases::matmul));
		l.add(new BenchCase("text-encoder", "CLIP text encoder, 2 x 77 tokens", 2, 9, tiny ? null
			: new BenchCase.Reference(0.78, 1.2), BenchCases::textEncoder));
		for (int px : sizes) {
			for (int b = 1; b <= 2; b++) {
				int batch = b;
				BenchCase.Reference ref = tiny ? null : px == 256 && b == 2 ? new BenchCase.Reference(4.91, 6.9)
					: px == 512 && b == 1 ? new BenchCase.Reference(9.52, 7.9)
						: px == 512 ? new BenchCase.Reference(16.3, 9.1) : null;
				l.add(new BenchCase("unet-" + px + "-b" + b, "UNet forward " + px + " px, batch " + b
					+ (b == 2 ? " (guided)" : ""), 1, px == hi ? 5 : 7, ref, (c, w, r) -> unet(c, w, r, px, batch)));
			}
		}
		for (String kernel : new String[] {"full", "chunked"}) {
			l.add(new BenchCase("attention-" + hi + "-" + kernel, "UNet level-0 self-attention scores, " + hi
				+ " px, batch 2, " + kernel + " kernel", 1, 5, null, (c, w, r) -> attention(c, w, r, hi, kernel)));
		}
		for (int px : sizes) {
			BenchCase.Reference ref = tiny ? null : px == 256 ? new BenchCase.Reference(3.77, 1.3)
				: new BenchCase.Reference(16.6, 1.9);
			l.add(new BenchCase("vae-" + px, "VAE decode " + px + " px", 1, px == hi ? 5 : 7, ref,
				(c, w, r) -> vae(c, w, r, px, false)));
		}
		l.add(new BenchCase("vae-" + hi + "-tiled", "VAE decode " + hi + " px in 4 overlapping tiles", 1, 5, null,
			(c, w, r) -> vae(c, w, r, hi, true)));
		for (int px : sizes) {
			BenchCase.Reference ref = tiny || px != 256 ? null : new BenchCase.Reference(105, 6.7);
			l.add(new BenchCase("generate-" + px, "20-step DDIM generation " + px + " px, guidance 7.5", px == lo ? 1 : 0,
				px == lo ? 3 : 2, ref, (c, w, r) -> generate(c, w, r, px)));
		}
		for (int px : sizes) {
			// diffusers' SD 1.5 LoRA rank-4 step (issue 9); for textual inversion it is the target too (issue 8)
			BenchCase.Reference ref = tiny ? null : px == 256 ? new BenchCase.Reference(13.9, 4.5)
				: new BenchCase.Reference(63, 10.05);
			int runs = px == lo ? 5 : 3;
			for (TrainConfig.Method method : TrainConfig.Method.values()) {
				String id = method == TrainConfig.Method.LORA ? "lora" : "ti";
				String label = method == TrainConfig.Method.LORA ? "LoRA rank-4 (attention) step"
					: "textual-inversion step (1 vector)";
				for (boolean ckpt : new boolean[] {false, true}) {
					l.add(new BenchCase(id + "-" + px + (ckpt ? "-ckpt" : ""), label + ", " + px + " px, batch 1"
						+ (ckpt ? ", gradient checkpointing" : "") + (method == TrainConfig.Method.LORA || tiny ? ""
							: " [diffusers: its LoRA step]"), 1, runs, ref,
						(c, w, r) -> TrainingCases.step(c, w, r, px, method, ckpt)));
				}
			}
		}
		if (tiny) for (TrainConfig.Method method : TrainConfig.Method.values()) {
			String id = method == TrainConfig.Method.LORA ? "lora" : "ti";
			l.add(new BenchCase("loop-" + id + "-" + TrainingCases.LOOP_STEPS, TrainingCases.LOOP_STEPS + "-step "
				+ (method == TrainConfig.Method.LORA ? "LoRA" : "textual-inversion") + " run through Trainer (memory "
				+ "flatness)", 0, 1, null, TrainingCases.LOOP_HEAP, (c, w, r) -> TrainingCases.loop(c, method,
					TrainingCases.LOOP_STEPS, TrainingCases.LOOP_BASELINE)));
		}
		return l;
	}

	/** The case called {@code name}. */
	public static BenchCase named(String name, boolean tiny) {
		for (BenchCase c : all(tiny)) if (c.name().equals(name)) return c;
		throw new IllegalArgumentException("no bench case '" + name + "'");
	}

	private static BenchCase.Outcome matmul(BenchContext c, int warmups, int repeats) throws Exception {
		int n = 2048;
		try (NDManager m = c.manager().newSubManager()) {
			NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
			NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
			List<Double> s = c.time(warmups, repeats, () -> a.matMul(b).close());
			return new BenchCase.Outcome(s, 2L * n * n * n);
		}
	}

	private static BenchCase.Outcome textEncoder(BenchContext c, int warmups, int repeats) throws Exception {
		CLIPTextModel te = c.textEncoder();
		long vocab = te.config().vocabSize();
		long[] ids = new long[2 * 77];
		for (int i = 0; i < ids.length; i++) ids[i] = i % 77 == 0 ? vocab - 2 : i % 77 > 12 ? vocab - 1 : (i * 7919L) % (vocab - 2);
		return BenchCase.Outcome.of(c.time(warmups, repeats, () -> {
			try (NDManager step = c.manager().newSubManager()) {
				te.encode(step.create(ids, new Shape(2, 77)), 0);
			}
		}));
	}

	private static BenchCase.Outcome unet(BenchContext c, int warmups, int repeats, int px, int batch)
		throws Exception
	{
		UNet2DConditionModel unet = c.unet();
		int lat = px / c.vaeScale();
		long cross = unet.config().crossAttentionDim().values()[0];
		try (NDManager inputs = c.manager().newSubManager()) {
			NDArray x = inputs.randomNormal(new Shape(batch, unet.config().inChannels(), lat, lat)).toType(c.dtype(), false);
			NDArray ctx = inputs.randomNormal(new Shape(batch, 77, cross)).toType(c.dtype(), false);
			Runnable step = () -> {
				try (NDManager s = inputs.newSubManager()) {
					x.tempAttach(s);
					unet.forward(x, 500.0, ctx);
				}
			};
			long flops = FlopCounter.count(unet, AttentionKernel.defaultKernel(), step);
			c.note(lat + "x" + lat + " latents");
			return new BenchCase.Outcome(c.time(Math.max(0, warmups - 1), repeats, step::run), flops);
		}
	}

	private static BenchCase.Outcome attention(BenchContext c, int warmups, int repeats, int px, String kernel)
		throws Exception
	{
		UNet2DConditionConfig cfg = c.unetConfig(); // the shapes of the first level's attention; no weights needed
		int heads = cfg.heads()[0];
		long d = cfg.blockOutChannels().get(0) / heads;
		long t = (long) (px / c.vaeScale()) * (px / c.vaeScale());
		AttentionKernel k = kernel.equals("full") ? AttentionKernel.full() : AttentionKernel.defaultKernel();
		c.note(heads + " heads x " + t + " tokens x " + d);
		try (NDManager inputs = c.manager().newSubManager()) {
			Shape s = new Shape(2, heads, t, d);
			NDArray q = inputs.randomNormal(s).toType(c.dtype(), false);
			NDArray kk = inputs.randomNormal(s).toType(c.dtype(), false);
			NDArray v = inputs.randomNormal(s).toType(c.dtype(), false);
			return new BenchCase.Outcome(c.time(warmups, repeats, () -> {
				try (NDManager step = inputs.newSubManager()) {
					q.tempAttach(step);
					k.attend(q, kk, v, 1 / Math.sqrt(d), null, false);
				}
			}), 4L * 2 * heads * t * t * d);
		}
	}

	private static BenchCase.Outcome vae(BenchContext c, int warmups, int repeats, int px, boolean tiled)
		throws Exception
	{
		AutoencoderKL vae = c.vae();
		int lat = px / c.vaeScale();
		try (NDManager inputs = c.manager().newSubManager()) {
			NDArray z = inputs.randomNormal(new Shape(1, vae.config().latentChannels(), lat, lat))
				.toType(DataType.FLOAT32, false);
			return BenchCase.Outcome.of(c.time(warmups, repeats, () -> {
				try (NDManager s = inputs.newSubManager()) {
					z.tempAttach(s);
					if (tiled) vae.decodeTiled(z, lat / 2, 0.25);
					else vae.decode(z);
				}
			}));
		}
	}

	private static BenchCase.Outcome generate(BenchContext c, int warmups, int repeats, int px) throws Exception {
		StableDiffusionModel m = c.pipeline();
		GenerationRequest r = new GenerationRequest(m.source(), null, PROMPT, "blurry", 20, 7.5, "DDIM", 1, px, px, 1, 1,
			PromptChunks.LongPrompts.CHUNK, null, null);
		return BenchCase.Outcome.of(c.time(warmups, repeats,
			() -> TextToImage.generate(m, r, TextToImage.Listener.of(ProgressListener.NONE))));
	}
}
