package io.github.diffusej.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;

import io.github.diffusej.testutil.Golden;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parity with transformers' slow CLIPTokenizer 4.36 (no ftfy) on golden/tokenizer/golden_tokens_noftfy.json (SD1
 * pad) and golden/tokenizer/golden_tokens_noftfy_sd2pad.json (SD2 pad "!"), both with {@code <my-cell>} added.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClipTokenizerTest {

	private static final String PLACEHOLDER = "<my-cell>";

	private Path dir;
	private ClipTokenizer sd1;
	private ClipTokenizer sd2;

	record GoldenCase(String prompt, List<String> bpe_tokens, long[] ids_full, long[] ids_77) {}

	record GoldenFile(String placeholder_token, int placeholder_token_id, int bos_id, int eos_id, int pad_id,
		List<GoldenCase> cases) {}

	@BeforeAll
	void open() throws IOException {
		dir = Golden.dir().resolve("tokenizer");
		sd1 = ClipTokenizer.fromFolder(dir);
		sd2 = ClipTokenizer.fromFiles(dir.resolve("vocab.json"), dir.resolve("merges.txt"),
			dir.resolve("sd2_tokenizer_config.json"), dir.resolve("sd2_special_tokens_map.json"));
	}

	@AfterAll
	void close() {
		if (sd1 != null) {
			sd1.close();
		}
		if (sd2 != null) {
			sd2.close();
		}
	}

	private GoldenFile golden(String name) throws IOException {
		return new Gson().fromJson(Files.readString(dir.resolve(name), StandardCharsets.UTF_8), GoldenFile.class);
	}

	@TestFactory
	Stream<DynamicTest> goldenTokensNoFtfy() throws IOException {
		return parity(sd1, golden("golden_tokens_noftfy.json"), "noftfy");
	}

	@TestFactory
	Stream<DynamicTest> goldenTokensNoFtfySd2Pad() throws IOException {
		return parity(sd2, golden("golden_tokens_noftfy_sd2pad.json"), "sd2pad");
	}

	private static Stream<DynamicTest> parity(ClipTokenizer tok, GoldenFile g, String label) {
		assertEquals(43, g.cases().size(), "case count");
		assertEquals(g.placeholder_token_id(), tok.addToken(g.placeholder_token()), "placeholder id");
		assertEquals(g.bos_id(), tok.bosId());
		assertEquals(g.eos_id(), tok.eosId());
		assertEquals(g.pad_id(), tok.padId());
		List<DynamicTest> tests = new ArrayList<>();
		for (int i = 0; i < g.cases().size(); i++) {
			GoldenCase c = g.cases().get(i);
			String name = label + " #" + i + " " + c.prompt().replaceAll("\\s", "\u2423");
			tests.add(DynamicTest.dynamicTest(name.length() > 80 ? name.substring(0, 80) + "…" : name, () -> {
				assertEquals(c.bpe_tokens(), tok.tokens(c.prompt()), "bpe_tokens");
				assertArrayEquals(c.ids_full(), tok.encode(c.prompt()), "ids_full");
				assertArrayEquals(c.ids_77(), tok.encode77(c.prompt()), "ids_77");
			}));
		}
		return tests.stream();
	}

	/**
	 * golden_tokens_ftfy.json is optional (ftfy is not implemented): the prompts where ftfy changes nothing must
	 * still match it, and exactly the 6 prompts the golden README lists are allowed to differ.
	 */
	@Test
	void ftfyGoldenMatchesWhereFtfyChangesNothing() throws IOException {
		GoldenFile ftfy = golden("golden_tokens_ftfy.json");
		GoldenFile noFtfy = golden("golden_tokens_noftfy.json");
		sd1.addToken(PLACEHOLDER);
		int differing = 0;
		for (int i = 0; i < ftfy.cases().size(); i++) {
			GoldenCase f = ftfy.cases().get(i);
			assertEquals(noFtfy.cases().get(i).prompt(), f.prompt());
			if (java.util.Arrays.equals(f.ids_full(), noFtfy.cases().get(i).ids_full())) {
				assertArrayEquals(f.ids_full(), sd1.encode(f.prompt()), f.prompt());
			} else {
				differing++;
			}
		}
		assertEquals(6, differing, "prompts where ftfy changes the ids");
	}

	/**
	 * The DJL/HF BPE against {@link ReferenceClipBpe} on 4000 random texts (fixed seed) mixing ASCII, accents,
	 * Cyrillic, CJK, Hangul, emoji, digits, punctuation and long repeated-letter runs.
	 */
	@Test
	void bpeMatchesNaiveReferenceOnRandomText() throws IOException {
		ClipTokenizerFiles files = ClipTokenizerFiles.read(dir.resolve("vocab.json"), dir.resolve("merges.txt"), null, null);
		ReferenceClipBpe reference = new ReferenceClipBpe(files.merges());
		String[] pools = {"etaoinshrdlucmfwypvbgkjqxz", "ETAOINSHRDLU", "0123456789", ".,;:!?'\"()[]{}<>|/-_+=*&^%$#@~`",
			"éèêëàâäçîïôöûüñßøåæœ", "приветмирдом", "日本猫東京語中文字", "한국어텍스트", "\uD83D\uDC36\uD83C\uDF89\u2764\uFE0F"};
		java.util.Random rnd = new java.util.Random(20231213L);
		int words = 0;
		for (int t = 0; t < 4000; t++) {
			StringBuilder text = new StringBuilder();
			int n = 1 + rnd.nextInt(8);
			for (int w = 0; w < n; w++) {
				if (rnd.nextInt(20) == 0) {
					char c = (char) ('a' + rnd.nextInt(3));
					text.append(String.valueOf(c).repeat(1 + rnd.nextInt(40))).append(' ');
					continue;
				}
				String pool = pools[rnd.nextInt(10) < 6 ? 0 : rnd.nextInt(pools.length)];
				int len = 1 + rnd.nextInt(12);
				for (int k = 0; k < len; k++) {
					int cp = pool.codePointAt(pool.offsetByCodePoints(0, rnd.nextInt(pool.codePointCount(0, pool.length()))));
					text.appendCodePoint(cp);
				}
				text.append(rnd.nextBoolean() ? " " : "");
			}
			List<String> expected = new ArrayList<>();
			for (String word : ClipTextSplitter.words(text.toString())) {
				expected.addAll(reference.pieces(word));
				words++;
			}
			assertEquals(expected, sd1.tokens(text.toString()), text.toString());
		}
		assertTrue(words > 10_000, "words checked: " + words);
	}

	@Test
	void knownStableDiffusionIds() {
		assertArrayEquals(new long[] {49406, 320, 1125, 539, 320, 2368, 49407}, sd1.encode("a photo of a cat"));
		assertArrayEquals(new long[] {49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407},
			sd1.encode("a photograph of an astronaut riding a horse"));
		assertEquals(77, sd1.maxLength());
		assertEquals(49407, sd1.unkId());
		assertEquals(5533, sd1.tokenId("cell</w>"));
	}

	@Test
	void realSd1TokenizerFolder() throws IOException {
		try (ClipTokenizer tok = ClipTokenizer.fromFolder(Golden.tinySd1Model().resolve("tokenizer"))) {
			long[] ids = tok.encode77("a photo of a cat");
			assertEquals(77, ids.length);
			assertArrayEquals(new long[] {49406, 320, 1125, 539, 320, 2368, 49407, 49407}, java.util.Arrays.copyOf(ids, 8));
			assertEquals(49408, tok.vocabSize());
		}
	}

	@Test
	void addTokenFollowsTransformers() throws IOException {
		try (ClipTokenizer tok = ClipTokenizer.fromFolder(dir)) {
			assertEquals(-1, tok.tokenId("<cat-toy>"));
			assertEquals(49408, tok.addToken("<cat-toy>"));
			assertEquals(49408, tok.addToken("<cat-toy>"), "adding twice returns the same id");
			assertEquals(49409, tok.vocabSize());
			assertEquals(49409, tok.addToken("<cat-toy>_1"));
			assertEquals(49410, tok.vocabSize());
			assertArrayEquals(new long[] {49406, 320, 1125, 539, 49408, 49409, 49407}, tok.encode("a photo of <cat-toy> <cat-toy>_1"));
			// a vocabulary entry keeps its id but is now split out everywhere, as add_tokens does
			assertEquals(64, tok.tokenId("a"));
			assertEquals(64, tok.addToken("a"));
			assertEquals(49410, tok.vocabSize());
			assertEquals(List.of("c</w>", "a", "t</w>"), tok.tokens("cat"));
			assertArrayEquals(new long[] {49406, 322, 64, 339, 49407}, tok.encode("cat"));
			assertThrows(IllegalArgumentException.class, () -> tok.addToken(""));
		}
	}

	@Test
	void truncationKeepsBosAndEosAndPads() {
		assertArrayEquals(new long[] {49406, 320, 1125, 49407}, sd1.encode("a photo of a cat", 4));
		assertArrayEquals(new long[] {49406, 320, 49407, 49407, 49407}, sd1.encode("a", 5));
		assertArrayEquals(new long[] {49406, 49407}, sd1.encode("a photo", 2));
		assertArrayEquals(new long[] {49406, 320, 49407, 0}, java.util.Arrays.copyOf(sd2.encode("a", 77), 4),
			"SD2 pads with '!' = 0");
		assertThrows(IllegalArgumentException.class, () -> sd1.encode("a", 1));
	}

	@Test
	void idsWithoutSpecialTokensForChunking() {
		String prompt = String.join(", ", java.util.Collections.nCopies(40, "red apple"));
		long[] body = sd1.encodeWithoutSpecialTokens(prompt);
		assertEquals(119, body.length);
		long[] full = sd1.encode(prompt);
		assertArrayEquals(body, java.util.Arrays.copyOfRange(full, 1, full.length - 1));
		assertEquals(0, sd1.encodeWithoutSpecialTokens(" \u200b\t").length);
	}

	@Test
	void decodeRestoresReadableText() {
		sd1.addToken(PLACEHOLDER);
		assertEquals("a photo of a cat", sd1.decode(sd1.encode77("A photo of a cat")));
		assertEquals("a photo of <my-cell> cells, fluorescent stain!",
			sd1.decode(sd1.encode("a photo of <my-cell> cells , fluorescent stain!")));
		assertEquals("café 日 本", sd1.decode(sd1.encode("Café 日本")), "CJK ideographs decode as separate words");
		assertEquals("<|startoftext|>", sd1.token(49406));
		List<String> pieces = sd1.tokens("привет <my-cell>");
		assertEquals("п", ClipTokenizer.pieceText(pieces.get(0)));
		assertEquals("cat", ClipTokenizer.pieceText("cat</w>"));
		assertEquals("<my-cell>", ClipTokenizer.pieceText(pieces.get(pieces.size() - 1)));
		assertEquals("\ufffd", ClipTokenizer.pieceText("\u00d0"), "half a UTF-8 character");
		assertThrows(IllegalArgumentException.class, () -> sd1.decode(new long[] {1_000_000}));
	}

	// ------------------------------------------------------------------------------------------------ errors

	private Path copyFolder(Path target, String... names) throws IOException {
		for (String n : names) {
			Files.copy(dir.resolve(n), target.resolve(n));
		}
		return target;
	}

	@Test
	void missingMergesNamesTheFile(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "vocab.json", "tokenizer_config.json", "special_tokens_map.json");
		NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
		assertTrue(e.getMessage().contains("missing"), e.getMessage());
	}

	@Test
	void missingVocabNamesTheFile(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "merges.txt");
		IOException e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("vocab.json"), e.getMessage());
	}

	@Test
	void corruptVocabNamesTheFile(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "merges.txt");
		Files.writeString(tmp.resolve("vocab.json"), "{\"a\": 0, \"b\": ");
		IOException e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("vocab.json") && e.getMessage().contains("corrupt JSON"), e.getMessage());

		Files.writeString(tmp.resolve("vocab.json"), "[1, 2]");
		e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("vocab.json") && e.getMessage().contains("JSON object"), e.getMessage());

		Files.writeString(tmp.resolve("vocab.json"), "{\"a\": \"zero\"}");
		e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("vocab.json") && e.getMessage().contains("'a'"), e.getMessage());
	}

	@Test
	void corruptMergesNamesFileAndLine(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "vocab.json");
		Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\ni n\nt h e\n");
		IOException e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("merges.txt") && e.getMessage().contains("line 3"), e.getMessage());
	}

	@Test
	void mergesWithUnknownSymbolsAreRejected(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "vocab.json");
		Files.writeString(tmp.resolve("merges.txt"), "#version: 0.2\ni n\nqqq zzz\n");
		IOException e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
	}

	@Test
	void corruptConfigNamesTheFile(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "vocab.json", "merges.txt", "special_tokens_map.json");
		Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"model_max_length\": \"long\"}");
		IOException e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("model_max_length"),
			e.getMessage());

		Files.writeString(tmp.resolve("tokenizer_config.json"), "{}");
		Files.writeString(tmp.resolve("special_tokens_map.json"), "{\"pad_token\": [1]}");
		e = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp));
		assertTrue(e.getMessage().contains("special_tokens_map.json") && e.getMessage().contains("pad_token"),
			e.getMessage());
	}

	@Test
	void configFilesAreOptional(@TempDir Path tmp) throws IOException {
		copyFolder(tmp, "vocab.json", "merges.txt");
		try (ClipTokenizer tok = ClipTokenizer.fromFolder(tmp)) {
			assertEquals(49406, tok.bosId());
			assertEquals(49407, tok.eosId());
			assertEquals(49407, tok.padId());
			assertEquals(77, tok.maxLength());
			assertArrayEquals(new long[] {49406, 320, 1125, 539, 320, 2368, 49407}, tok.encode("a photo of a cat"));
		}
	}
}
