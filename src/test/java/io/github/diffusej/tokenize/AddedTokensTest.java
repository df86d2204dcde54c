package io.github.diffusej.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class AddedTokensTest {

	@Test
	void splitsAnywhereCaseSensitiveLongestFirst() {
		AddedTokens t = new AddedTokens(Map.of("<x>", 1, "<x>_1", 2, "!", 0));
		assertEquals(List.of(new AddedTokens.Piece("a", -1), new AddedTokens.Piece("<x>_1", 2),
			new AddedTokens.Piece("b<X>", -1), new AddedTokens.Piece("!", 0)), t.split("a<x>_1b<X>!"));
		assertEquals(List.of(new AddedTokens.Piece("<x>", 1), new AddedTokens.Piece("<x>", 1)), t.split("<x><x>"));
		assertEquals(List.of(), t.split(""));
	}
}
