package io.github.diffusej.model;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A textual-inversion embedding: a trigger token and its {@code n} vectors of width {@code dim}.
 *
 * <p>Multi-vector embeddings occupy several tokens, named like diffusers does: {@code token}, {@code token_1},
 * {@code token_2}, ...; a prompt that mentions {@code token} is expanded to all of them.
 */
public record Embedding(String token, float[][] vectors, String source) {

	public Embedding {
		if (token == null || token.isBlank()) throw new IllegalArgumentException("embedding token is empty");
		if (vectors.length == 0) throw new IllegalArgumentException(source + ": embedding has no vectors");
		for (float[] v : vectors) {
			if (v.length != vectors[0].length) throw new IllegalArgumentException(source + ": ragged embedding");
			for (float x : v) if (!Float.isFinite(x)) throw new IllegalArgumentException(
				source + ": embedding '" + token + "' contains NaN or infinite values");
		}
	}

	public int dim() {
		return vectors[0].length;
	}

	public int count() {
		return vectors.length;
	}

	/** The tokens this embedding adds to the tokenizer, one per vector. */
	public List<String> tokens() {
		List<String> t = new ArrayList<>();
		t.add(token);
		for (int i = 1; i < vectors.length; i++) t.add(token + "_" + i);
		return t;
	}

	/**
	 * The one check an embedding passes before a prompt uses it, the same for {@code tokens} (Show Prompt Tokens)
	 * and {@code generate}: its width is the text encoder's (an SD2 embedding on an SD1 model is refused), and each
	 * of its triggers is neither an ordinary word of the vocabulary nor another embedding's trigger.
	 *
	 * @param width the text encoder's hidden size
	 * @param isVocabularyWord whether a token is a word of the model's base vocabulary
	 * @param isOtherTrigger whether a token is already the trigger of another embedding
	 * @throws IllegalArgumentException naming the embedding's file and the defect
	 */
	public void checkFits(int width, java.util.function.Predicate<String> isVocabularyWord,
		java.util.function.Predicate<String> isOtherTrigger)
	{
		if (dim() != width) throw new IllegalArgumentException(source + ": embedding '" + token + "' has width " +
			dim() + " but this model's text encoder has width " + width + (dim() == 768 ? " (an SD 1.x embedding)" :
				dim() == 1024 ? " (an SD 2.x embedding)" : dim() == 1280 ? " (an SDXL embedding)" : ""));
		for (String t : tokens()) {
			if (isVocabularyWord.test(t)) throw new IllegalArgumentException(source + ": trigger '" + t
				+ "' is already a word of the vocabulary; use a distinct trigger such as <" + t + ">");
			if (isOtherTrigger.test(t)) throw new IllegalArgumentException(source + ": trigger '" + t
				+ "' is already used by another embedding");
		}
	}

	/**
	 * Rewrites a prompt so that each mention of a multi-vector token names all of its tokens
	 * ({@code <tok>} becomes {@code <tok> <tok>_1 <tok>_2}); mentions already followed by {@code _N} are kept.
	 */
	public String expand(String prompt) {
		if (vectors.length == 1) return prompt;
		return Pattern.compile(Pattern.quote(token) + "(?!_\\d)").matcher(prompt)
			.replaceAll(Matcher.quoteReplacement(String.join(" ", tokens())));
	}
}
