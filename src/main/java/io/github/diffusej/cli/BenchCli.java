package io.github.diffusej.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.AttentionKernel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code diffusej bench}: speed and memory of the pieces of a generation on this machine, printed as a table.
 * Each timing is the median of several runs after a warm-up; RSS growth over many denoising steps shows whether
 * memory stays flat.
 */
final class BenchCli {

	private record Row(String what, String value, String note) {}

	private BenchCli() {}

	/**
	 * Options as {@link BenchCommand} parsed and checked them ({@code model} and {@code size} may be null); the table
	 * goes to {@code out}, the engine line to {@code err}.
	 */
	static int run(Path model, Integer size, int repeats, int rssSteps, PrintWriter out, PrintWriter err)
		throws Exception
	{
		Engines.start(EngineOptions.fromEnvironment(), err::println);
		Path tmp = null;
		if (model == null) {
			tmp = Files.createTempDirectory("diffusej-bench");
			model = TinyModel.write(tmp.resolve("tiny"), 1);
		}
		List<Row> rows = new ArrayList<>();
		DataType dtype = StableDiffusionModel.defaultDtype(Engines.device());
		long t0 = System.nanoTime();
		try (StableDiffusionModel m = StableDiffusionModel.load(model, LoadOptions.defaults(), Engines.device(), dtype,
			msg -> {}))
		{
			rows.add(new Row("load model (safetensors -> " + Engines.device() + ")", ms(System.nanoTime() - t0), model.toString()));
			Integer sample = m.unet().config().sampleSize();
			int side = size != null ? size : (sample == null ? 64 : sample) * m.vaeScale();
			int lat = side / m.vaeScale();
			String prompt = "a fluorescent micrograph of dividing cells, high detail, sharp focus";
			rows.add(new Row("tokenize one prompt", us(median(repeats * 20, () -> m.tokenizer().encode77(prompt))), ""));
			try (NDManager s = m.manager().newSubManager()) {
				rows.add(new Row("text encoder, prompt + negative", ms(median(repeats, () -> {
					try (NDManager step = s.newSubManager()) {
						TextToImage.encodePrompts(m, step, prompt, "blurry", 1, PromptChunks.LongPrompts.CHUNK, true);
					}
				})), ""));
				NDArray ctx = TextToImage.encodePrompts(m, s, prompt, "blurry", 1, PromptChunks.LongPrompts.CHUNK, true);
				NDArray x = s.randomNormal(new Shape(2, m.latentChannels(), lat, lat)).toType(dtype, false);
				for (String kernel : new String[] {"chunked", "full"}) {
					m.unet().setAttentionKernel(kernel.equals("full") ? AttentionKernel.full() : AttentionKernel.chunked(1 << 26));
					rows.add(new Row("UNet step, batch 2 (CFG), " + side + " px, " + kernel + " attention", ms(median(repeats, () -> {
						try (NDManager step = s.newSubManager()) {
							x.tempAttach(step);
							m.unet().forward(x, 500.0, ctx);
						}
					})), lat + "x" + lat + " latents"));
				}
				m.unet().setAttentionKernel(AttentionKernel.chunked(1 << 26));
				NDArray z = s.randomNormal(new Shape(1, m.latentChannels(), lat, lat));
				rows.add(new Row("VAE decode, " + side + " px", ms(median(repeats, () -> TextToImage.decode(m, z))), ""));
				long rssBefore = rssKb();
				int steps = rssSteps;
				GenerationRequest r = new GenerationRequest(model, null, prompt, "blurry", steps, 7.5, "DDIM", 1, side, side,
					1, 1, null, null, null);
				long g0 = System.nanoTime();
				TextToImage.generate(m, r, TextToImage.Listener.of(ProgressListener.NONE));
				double perStep = (System.nanoTime() - g0) / 1e6 / steps;
				long rssAfter = rssKb();
				rows.add(new Row("generation, DDIM, per step (CFG)", String.format("%.1f ms", perStep), steps + " steps"));
				rows.add(new Row("RSS growth over " + steps + " steps", (rssAfter - rssBefore) / 1024 + " MB",
					"before " + rssBefore / 1024 + " MB, after " + rssAfter / 1024 + " MB (flat = a few MB)"));
			}
		}
		finally {
			if (tmp != null) deleteTree(tmp);
		}
		out.println("| what | time / size | note |");
		out.println("|---|---|---|");
		for (Row r : rows) out.println("| " + r.what + " | " + r.value + " | " + r.note + " |");
		out.println("\n" + Engines.info().oneLine());
		return 0;
	}

	static long median(int n, Runnable r) {
		for (int w = 0; w < 3; w++) r.run(); // warm-up: first calls pay for allocator and kernel selection
		long[] t = new long[n];
		for (int i = 0; i < n; i++) {
			long s = System.nanoTime();
			r.run();
			t[i] = System.nanoTime() - s;
		}
		java.util.Arrays.sort(t);
		return t[n / 2];
	}

	static String ms(long nanos) {
		return String.format("%.1f ms", nanos / 1e6);
	}

	static String us(long nanos) {
		return String.format("%.0f us", nanos / 1e3);
	}

	/**
	 * Resident set size from /proc (Linux), 0 elsewhere, after a GC: DJL copies data through direct byte buffers,
	 * whose native memory only returns when the collector runs, so RSS without GC overstates what is retained.
	 */
	static long rssKb() {
		System.gc();
		try {
			Thread.sleep(200);
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		try {
			for (String l : Files.readAllLines(Path.of("/proc/self/status")))
				if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
		}
		catch (Exception e) {
			// not Linux
		}
		return 0;
	}

	static void deleteTree(Path p) throws java.io.IOException {
		try (var s = Files.walk(p)) {
			for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
		}
	}
}
