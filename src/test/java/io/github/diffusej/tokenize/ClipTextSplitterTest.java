package io.github.diffusej.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** BasicTokenizer clean-up and CLIP regex, checked on cases worked out from transformers' Python source. */
class ClipTextSplitterTest {

	@Test
	void basicTokenizerCleanUp() {
		assertEquals("a cat with tabs", ClipTextSplitter.basicTokenize("  A\tCat\r\nwith\u00a0tabs  "));
		assertEquals("zerowidth", ClipTextSplitter.basicTokenize("zero\u200bwidth"));
		assertEquals("日 本 の 猫 タワー", ClipTextSplitter.basicTokenize("日本の猫タワー"));
		assertEquals("café", ClipTextSplitter.basicTokenize("cafe\u0301"));
		assertEquals("line next", ClipTextSplitter.basicTokenize("line\u2028next"));
		assertEquals("", ClipTextSplitter.basicTokenize("\u0000\ufffd\u0007"));
	}

	@Test
	void clipRegexWords() {
		assertEquals(List.of("it", "'s", "a", "dog", "'s", "life"), ClipTextSplitter.words("It's a dog's life"));
		assertEquals(List.of("2", "0", "2", "4", "(((", "x", ")))"), ClipTextSplitter.words("2024 (((x)))"));
		assertEquals(List.of("<|endoftext|>", "x"), ClipTextSplitter.words("<|ENDOFTEXT|>x"));
	}
}
