package io.github.diffusej.cli;

import io.github.diffusej.engine.Engines;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.PromptCheck;
import io.github.diffusej.generate.RequestStrings;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.schedule.SamplerKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code diffusej generate} and {@code diffusej tokens}. */
final class GenerateCli {

	static final String GENERATE_USAGE = """
		usage: diffusej generate --model DIR|FILE.safetensors --prompt TEXT [options]
		  --negative TEXT        negative prompt
		  --steps N              denoising steps (%d)
		  --guidance S           classifier-free guidance scale (%s; <= 1 turns guidance off)
		  --sampler NAME         one of %s (%s)
		  --seed N               seed of the first image (random when absent or -1); image i uses seed + i
		  --width W --height H   multiples of 8 x the VAE factor (default: the model's native size, e.g. 512 for
		                         SD 1.5, 768 for SD 2.1 768-v, 32 for tiny models)
		  --prediction-type T    epsilon or v_prediction: what the UNet predicts (default: the model's own; set it
		                         for SD 2.x single files, which are assumed to be 768-v models)
		  --count N              number of images (1)
		  --clip-skip N          1 = last CLIP layer, 2 = penultimate (1)
		  --long-prompts MODE    chunk (75-token windows, A1111 style) or truncate (diffusers) (chunk)
		  --lora FILE[:WEIGHT]   a LoRA/DoRA file (kohya or diffusers/PEFT); repeatable or ';'-separated
		  --embedding FILE[:TOKEN]  a textual-inversion file; repeatable
		  --tokenizer DIR        tokenizer folder for single-file checkpoints
		  --out DIR              where PNGs go, with settings in PNG text chunks (generated/)
		  --grid KIND            none, seeds-x-prompts (prompts separated by '|' in --prompt) or
		                         seeds-x-lora-weights (the first --lora at each of --lora-weights 0,0.5,1);
		                         rows are --count seeds; a labelled grid.png is written too
				""".formatted(GenerationRequest.DEFAULT_STEPS, String.valueOf(GenerationRequest.DEFAULT_GUIDANCE),
		SamplerKind.labels(), GenerationRequest.DEFAULT_SAMPLER);

	static final String TOKENS_USAGE = """
		usage: diffusej tokens --model DIR|FILE.safetensors --prompt TEXT [--embedding FILE[:TOKEN]]... [--tokenizer DIR]
		  shows how the prompt is tokenized: token count against the 75-token window, words split into several
		  pieces, and which trigger tokens of the embeddings were recognised
		""";

	private GenerateCli() {}

	static int generate(String[] argv) throws Exception {
		if (argv.length == 0 || argv[0].equals("--help")) {
			System.out.print(GENERATE_USAGE);
			return argv.length == 0 ? 2 : 0;
		}
		Args a = new Args("generate", argv, Set.of("model", "prompt", "negative", "steps", "guidance", "sampler", "seed",
			"width", "height", "count", "clip-skip", "long-prompts", "lora", "embedding", "tokenizer", "out", "grid",
			"lora-weights", "prediction-type"), Set.of());
		GenerationRequest r = request(a);
		Path out = a.path("out", Path.of("generated"));
		ResultStack.checkOutputFolder(out); // before the model loads
		Grid.Kind kind = Grid.Kind.fromLabel(a.get("grid", "none").replace('-', ' '));
		List<String> prompts = kind == Grid.Kind.SEEDS_X_PROMPTS ? RequestStrings.prompts(r.prompt()) : List.of();
		double[] weights = kind == Grid.Kind.SEEDS_X_LORA_WEIGHTS ? RequestStrings.weights(a.required("lora-weights")) : null;
		Engines.start(io.github.diffusej.engine.EngineOptions.fromEnvironment(), System.out::println);
		Grid grid = Grid.generate(r, kind, prompts, weights, Engines.device(), new ConsoleProgress(System.out),
			msg -> System.out.println("note: " + msg));
		for (Path p : ResultStack.savePngs(grid.images(), out, "image")) System.out.println("wrote " + p);
		if (kind != Grid.Kind.NONE) {
			Path m = ResultStack.saveMontagePng(grid, out.resolve("grid.png"));
			System.out.println("wrote " + m + " (rows: " + String.join(", ", grid.rowLabels()) + "; columns: " +
				String.join(", ", grid.columnLabels()) + ")");
		}
		return 0;
	}

	static GenerationRequest request(Args a) {
		List<GenerationRequest.LoraRef> loras = new ArrayList<>();
		for (String spec : a.all("lora")) loras.addAll(RequestStrings.loras(spec));
		List<GenerationRequest.EmbeddingRef> embs = new ArrayList<>();
		for (String spec : a.all("embedding")) embs.addAll(RequestStrings.embeddings(spec));
		return new GenerationRequest(Path.of(a.required("model")), a.path("tokenizer", null), a.required("prompt"),
			a.get("negative", ""), a.integer("steps", GenerationRequest.DEFAULT_STEPS),
			a.number("guidance", GenerationRequest.DEFAULT_GUIDANCE), a.get("sampler", GenerationRequest.DEFAULT_SAMPLER),
			RequestStrings.seed(a.longValue("seed", -1)), a.integer("width", 0), a.integer("height", 0),
			a.integer("count", 1), a.integer("clip-skip", 1), RequestStrings.longPrompts(a.get("long-prompts", "chunk")),
			loras, embs, RequestStrings.predictionType(a.get("prediction-type", null)));
	}

	static int tokens(String[] argv) throws Exception {
		if (argv.length == 0 || argv[0].equals("--help")) {
			System.out.print(TOKENS_USAGE);
			return argv.length == 0 ? 2 : 0;
		}
		Args a = new Args("tokens", argv, Set.of("model", "prompt", "embedding", "tokenizer"), Set.of());
		List<GenerationRequest.EmbeddingRef> embs = new ArrayList<>();
		for (String spec : a.all("embedding")) embs.addAll(RequestStrings.embeddings(spec));
		System.out.print(PromptCheck.analyse(Path.of(a.required("model")), a.path("tokenizer", null),
			a.required("prompt"), embs).report());
		return 0;
	}
}
