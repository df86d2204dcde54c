package io.github.diffusej.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyVocabularyTest {

	@TempDir
	Path tmp;

	/** A padded vocabulary encodes text as the plain one does, with CLIP's special-token and added-token ids. */
	@Test
	void paddingKeepsTheWordsAndPutsTheSpecialTokensLast() throws Exception {
		List<String> words = List.of("a", "fluorescent", "micrograph", "of", "cells");
		int plain = TinyVocabulary.write(tmp.resolve("plain"), words, 30);
		assertEquals(49408, TinyVocabulary.write(tmp.resolve("padded"), words, 30, 49408));
		ClipTokenizer p = ClipTokenizer.fromFolder(tmp.resolve("plain"));
		ClipTokenizer t = ClipTokenizer.fromFolder(tmp.resolve("padded"));
		assertEquals(plain, p.vocabSize());
		assertEquals(49408, t.vocabSize());
		assertEquals(49406, t.tokenId("<|startoftext|>"));
		assertEquals(49407, t.tokenId("<|endoftext|>"));
		long[] a = p.encodeWithoutSpecialTokens("a fluorescent micrograph of cells, unusual words");
		assertArrayEquals(a, t.encodeWithoutSpecialTokens("a fluorescent micrograph of cells, unusual words"));
		long[] ids = t.encode77("a micrograph");
		assertEquals(49406, ids[0]);
		assertEquals(49407, ids[ids.length - 1]);
		assertEquals(49408, t.addToken("<my-cell>"));
		assertThrows(IllegalArgumentException.class, () -> TinyVocabulary.write(tmp.resolve("small"), words, 30, 100));
	}
}
