package io.github.diffusej.generate;

import io.github.diffusej.engine.Engines;
import io.github.diffusej.model.Configs;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.tokenize.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link PromptTokens} for a model on disk without loading its networks: only the model's tokenizer is read
 * (a diffusers folder's {@code tokenizer/}, or the one beside or given for a single file), and the embeddings'
 * trigger tokens are added to it as loading them into the model would.
 */
public final class PromptCheck {

	private PromptCheck() {}

	/**
	 * @param model a diffusers folder or a single {@code .safetensors} checkpoint
	 * @param tokenizerDir the tokenizer folder for a single file (null: found beside it)
	 */
	public static PromptTokens analyse(Path model, Path tokenizerDir, String prompt,
		List<GenerationRequest.EmbeddingRef> embeddings) throws IOException
	{
		if (model == null) throw new IllegalArgumentException("no model given: choose a diffusers folder or a .safetensors file");
		Engines.ensureOffline();
		Path dir;
		int width;
		try (ModelFiles files = ModelLoader.open(model, LoadOptions.defaults().withTokenizerDir(tokenizerDir))) {
			dir = files.tokenizerDir();
			width = Configs.parse(files.textEncoder().config(), CLIPTextConfig.class, files.textEncoder().configOrigin())
				.hiddenSize();
		}
		List<Embedding> loaded = new ArrayList<>();
		for (GenerationRequest.EmbeddingRef e : embeddings) loaded.add(EmbeddingFile.read(e.file(), e.token()));
		try (ClipTokenizer tok = ClipTokenizer.fromFolder(dir)) {
			int vocab = tok.vocabSize();
			List<Embedding> added = new ArrayList<>();
			for (Embedding e : loaded) {
				// the same check generate makes before it adds the embedding to the model
				e.checkFits(width, t -> {
					int id = tok.tokenId(t);
					return id >= 0 && id < vocab;
				}, t -> added.stream().anyMatch(o -> o.tokens().contains(t)));
				for (String t : e.tokens()) tok.addToken(t);
				added.add(e);
			}
			return PromptTokens.analyse(tok, prompt == null ? "" : prompt, loaded);
		}
	}
}
