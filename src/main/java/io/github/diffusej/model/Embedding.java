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
	 * Rewrites a prompt so that each mention of a multi-vector token names all of its tokens
	 * ({@code <tok>} becomes {@code <tok> <tok>_1 <tok>_2}); mentions already followed by {@code _N} are kept.
	 */
	public String expand(String prompt) {
		if (vectors.length == 1) return prompt;
		return Pattern.compile(Pattern.quote(token) + "(?!_\\d)").matcher(prompt)
			.replaceAll(Matcher.quoteReplacement(String.join(" ", tokens())));
	}
}
