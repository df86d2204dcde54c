package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.model.Embedding;
import io.github.diffusej.tokenize.ClipTokenizer;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTokensTest {

	static ClipTokenizer tokenizer() throws IOException {
		return ClipTokenizer.fromFolder(Golden.dir().resolve("tokenizer"));
	}

	@Test
	void shortPromptIsDiffusersSingleWindow() throws IOException {
		try (ClipTokenizer tok = tokenizer()) {
			List<long[]> w = PromptChunks.windows(tok, "a photo of a cat", PromptChunks.LongPrompts.CHUNK, 1);
			assertEquals(1, w.size());
			assertArrayEquals(tok.encode77("a photo of a cat"), w.get(0));
			assertEquals(2, PromptChunks.windows(tok, "", PromptChunks.LongPrompts.CHUNK, 2).size(), "negative padded");
		}
	}

	@Test
	void longPromptsAreChunkedOrTruncated() throws IOException {
		try (ClipTokenizer tok = tokenizer()) {
			String longPrompt = String.join(", ", java.util.Collections.nCopies(40, "red apple")); // 119 tokens
			assertEquals(119, PromptChunks.count(tok, longPrompt));
			List<long[]> w = PromptChunks.windows(tok, longPrompt, PromptChunks.LongPrompts.CHUNK, 1);
			assertEquals(2, w.size());
			long[] ids = tok.encodeWithoutSpecialTokens(longPrompt);
			assertArrayEquals(Arrays.copyOfRange(ids, 75, 119), Arrays.copyOfRange(w.get(1), 1, 45));
			assertEquals(tok.eosId(), w.get(1)[45]);
			assertEquals(tok.bosId(), w.get(1)[0]);
			List<long[]> t = PromptChunks.windows(tok, longPrompt, PromptChunks.LongPrompts.TRUNCATE, 1);
			assertArrayEquals(tok.encode77(longPrompt), t.get(0), "truncation = diffusers' ids_77");
			assertEquals(44, PromptChunks.dropped(tok, longPrompt));
		}
	}

	@Test
	void reportShowsSplitsAndTriggers() throws IOException {
		try (ClipTokenizer tok = tokenizer()) {
			Embedding e = new Embedding("<my-cell>", new float[][] {{1}, {2}}, "test");
			for (String t : e.tokens()) tok.addToken(t);
			PromptTokens p = PromptTokens.analyse(tok, "a xylophonistically <my-cell> next to <MY-CELL> <other>", List.of(e));
			assertEquals(List.of("<my-cell>", "<my-cell>_1"), p.recognisedPlaceholders());
			assertTrue(p.words().stream().anyMatch(w -> w.text().equals("xylophonistically") && w.split()), p.report());
			String r = p.report();
			assertTrue(r.contains("case sensitive") && r.contains("<other>"), r);
			assertTrue(r.contains("of 75 per window"), r);
		}
	}

	/** tokens explains SD 2.x's '!' pad: the SD2 tokenizer splits every '!' out as the pad id 0. */
	@Test
	void sd2ExclamationMarkIsExplained(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws IOException {
		java.nio.file.Path g = Golden.dir().resolve("tokenizer");
		for (String f : List.of("vocab.json", "merges.txt")) java.nio.file.Files.copy(g.resolve(f), tmp.resolve(f));
		java.nio.file.Files.copy(g.resolve("sd2_tokenizer_config.json"), tmp.resolve("tokenizer_config.json"));
		java.nio.file.Files.copy(g.resolve("sd2_special_tokens_map.json"), tmp.resolve("special_tokens_map.json"));
		try (ClipTokenizer sd2 = ClipTokenizer.fromFolder(tmp); ClipTokenizer sd1 = tokenizer()) {
			String r = PromptTokens.analyse(sd2, "hello, world!", List.of()).report();
			assertTrue(r.contains("uses '!' as its padding token") && r.contains("pad id 0"), r);
			assertTrue(PromptTokens.analyse(sd2, "hello, world", List.of()).warnings().isEmpty());
			assertTrue(PromptTokens.analyse(sd1, "hello, world!", List.of()).warnings().isEmpty(), "SD1 pads with EOS");
		}
	}
}
