package io.github.diffusej.cli;

import io.github.diffusej.engine.Engines;
import io.github.diffusej.export.Embedding;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.PromptChunks;
import io.github.diffusej.generate.PromptTokens;
import io.github.diffusej.generate.ResultStack;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.schedule.SamplerKind;
import io.github.diffusej.tokenize.ClipTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code diffusej generate} and {@code diffusej tokens}. */
final class GenerateCli {

	static final String GENERATE_USAGE = """
		usage: diffusej generate --model DIR|FILE.safetensors --prompt TEXT [options]
		  --negative TEXT        negative prompt
		  --steps N              denoising steps (25)
		  --guidance S           classifier-free guidance scale (7.5; <= 1 turns guidance off)
		  --sampler NAME         one of %s (DPM++ 2M Karras)
		  --seed N               seed of the first image (random when absent); image i uses seed + i
		  --width W --height H   multiples of 8 x the VAE factor (512 x 512 for SD; 32 x 32 for tiny models)
		  --count N              number of images (1)
		  --clip-skip N          1 = last CLIP layer, 2 = penultimate (1)
		  --long-prompts MODE    chunk (75-token windows, A1111 style) or truncate (diffusers) (chunk)
		  --lora FILE[:WEIGHT]   a LoRA/DoRA file (kohya or diffusers/PEFT); repeatable
		  --embedding FILE[:TOKEN]  a textual-inversion file; repeatable
		  --tokenizer DIR        tokenizer folder for single-file checkpoints
		  --out DIR              where PNGs go, with settings in PNG text chunks (generated/)
		""".formatted(SamplerKind.labels());

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
			"width", "height", "count", "clip-skip", "long-prompts", "lora", "embedding", "tokenizer", "out"), Set.of());
		GenerationRequest r = request(a);
		Engines.start(io.github.diffusej.engine.EngineOptions.fromEnvironment(), System.out::println);
		List<GeneratedImage> images = TextToImage.generate(r, Engines.device(), new ConsoleProgress(System.out),
			msg -> System.out.println("note: " + msg));
		Path out = a.path("out", Path.of("generated"));
		for (Path p : ResultStack.savePngs(images, out, "image")) System.out.println("wrote " + p);
		return 0;
	}

	static GenerationRequest request(Args a) {
		List<GenerationRequest.LoraRef> loras = new ArrayList<>();
		for (String s : a.all("lora")) {
			String[] pw = splitSuffix(s);
			loras.add(new GenerationRequest.LoraRef(Path.of(pw[0]), pw[1] == null ? 1.0 : parseWeight(pw[1], s)));
		}
		List<GenerationRequest.EmbeddingRef> embs = new ArrayList<>();
		for (String s : a.all("embedding")) embs.add(embeddingRef(s));
		long seed = a.has("seed") ? a.longValue("seed", 0) : new java.security.SecureRandom().nextInt(Integer.MAX_VALUE);
		return new GenerationRequest(Path.of(a.required("model")), a.path("tokenizer", null), a.required("prompt"),
			a.get("negative", ""), a.integer("steps", 25), a.number("guidance", 7.5), a.get("sampler", "DPM++ 2M Karras"),
			seed, a.integer("width", 512), a.integer("height", 512), a.integer("count", 1), a.integer("clip-skip", 1),
			PromptChunks.LongPrompts.valueOf(a.get("long-prompts", "chunk").toUpperCase(Locale.ROOT)), loras, embs);
	}

	/** "file:token" -> reference; a plain path keeps the file's own trigger. */
	static GenerationRequest.EmbeddingRef embeddingRef(String s) {
		int colon = s.lastIndexOf(':');
		boolean token = colon > 1 && !s.substring(colon + 1).contains("/") && !s.substring(colon + 1).contains("\\")
			&& !s.substring(colon + 1).endsWith(".safetensors");
		return token ? new GenerationRequest.EmbeddingRef(Path.of(s.substring(0, colon)), s.substring(colon + 1))
			: new GenerationRequest.EmbeddingRef(Path.of(s), null);
	}

	/** Splits "path:number" (Windows drive letters stay in the path); [path, null] when no weight follows. */
	static String[] splitSuffix(String s) {
		int colon = s.lastIndexOf(':');
		if (colon > 1) {
			String w = s.substring(colon + 1);
			try {
				Double.parseDouble(w);
				return new String[] {s.substring(0, colon), w};
			}
			catch (NumberFormatException e) {
				// not a weight: part of the path
			}
		}
		return new String[] {s, null};
	}

	static double parseWeight(String w, String spec) {
		double d = Double.parseDouble(w);
		if (!Double.isFinite(d)) throw new IllegalArgumentException("LoRA weight in '" + spec + "' is not finite");
		return d;
	}

	static int tokens(String[] argv) throws Exception {
		if (argv.length == 0 || argv[0].equals("--help")) {
			System.out.print(TOKENS_USAGE);
			return argv.length == 0 ? 2 : 0;
		}
		Args a = new Args("tokens", argv, Set.of("model", "prompt", "embedding", "tokenizer"), Set.of());
		Path tokDir;
		try (ModelFiles files = ModelLoader.open(Path.of(a.required("model")),
			LoadOptions.defaults().withTokenizerDir(a.path("tokenizer", null))))
		{
			tokDir = files.tokenizerDir();
		}
		try (ClipTokenizer tok = ClipTokenizer.fromFolder(tokDir)) {
			List<Embedding> embeddings = new ArrayList<>();
			for (String s : a.all("embedding")) {
				GenerationRequest.EmbeddingRef ref = embeddingRef(s);
				Embedding e = EmbeddingFile.read(ref.file(), ref.token());
				for (String t : e.tokens()) tok.addToken(t);
				embeddings.add(e);
			}
			System.out.print(PromptTokens.analyse(tok, a.required("prompt"), embeddings).report());
		}
		return 0;
	}
}
