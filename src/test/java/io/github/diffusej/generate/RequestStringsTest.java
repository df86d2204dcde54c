package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestStringsTest {

	@TempDir
	Path dir;

	@Test
	void lorasWithAndWithoutWeights() throws IOException {
		Path a = Files.createFile(dir.resolve("a.safetensors")), b = Files.createFile(dir.resolve("b.safetensors"));
		List<GenerationRequest.LoraRef> l = RequestStrings.loras(" " + a + ":0.8 ; " + b + "\n");
		assertEquals(List.of(new GenerationRequest.LoraRef(a, 0.8), new GenerationRequest.LoraRef(b, 1.0)), l);
		assertEquals(List.of(), RequestStrings.loras(""));
		assertEquals(List.of(), RequestStrings.loras(null));
		assertEquals(-1.5, RequestStrings.loras(a + ":-1.5").get(0).weight());
	}

	@Test
	void badLorasNameTheProblem() throws IOException {
		Path a = Files.createFile(dir.resolve("a.safetensors"));
		var e = assertThrows(IllegalArgumentException.class, () -> RequestStrings.loras(a + ":NaN"));
		assertTrue(e.getMessage().contains("not a finite number") && e.getMessage().contains("a.safetensors"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> RequestStrings.loras(a + ":heavy"));
		assertTrue(e.getMessage().contains("'heavy', not a number"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> RequestStrings.loras(dir.resolve("none.safetensors") + ":1"));
		assertTrue(e.getMessage().startsWith("LoRA file not found: "), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> RequestStrings.loras(dir + ":1"));
		assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
	}

	@Test
	void colonsInPaths() {
		assertArrayEquals(new String[] {"C:\\models\\x.safetensors", null}, RequestStrings.splitSuffix("C:\\models\\x.safetensors"));
		assertArrayEquals(new String[] {"C:\\m\\x.safetensors", "0.5"}, RequestStrings.splitSuffix("C:\\m\\x.safetensors:0.5"));
		assertArrayEquals(new String[] {"/a:b/x.safetensors", null}, RequestStrings.splitSuffix("/a:b/x.safetensors"));
		assertArrayEquals(new String[] {"/e.safetensors", "<my-cell>"}, RequestStrings.splitSuffix("/e.safetensors:<my-cell>"));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.splitSuffix("/e.safetensors:"));
	}

	@Test
	void embeddingsWithOptionalToken() throws IOException {
		Path e = Files.createFile(dir.resolve("e.safetensors"));
		var refs = RequestStrings.embeddings(e + ":<cell>;" + e);
		assertEquals("<cell>", refs.get(0).token());
		assertNull(refs.get(1).token());
		assertEquals(e, refs.get(1).file());
	}

	@Test
	void weightsPromptsAndChoices() {
		assertArrayEquals(new double[] {0, 0.5, 1}, RequestStrings.weights("0, 0.5,1"));
		assertArrayEquals(new double[] {-1, 2}, RequestStrings.weights("-1 2"));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.weights("0,nan"));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.weights(" "));
		assertEquals(List.of("a cell", "two cells"), RequestStrings.prompts(" a cell | two cells"));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.prompts("a||b"));
		assertEquals(PromptChunks.LongPrompts.TRUNCATE, RequestStrings.longPrompts("Truncate"));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.longPrompts("cut"));
		assertEquals(5, RequestStrings.seed(5));
		long r = RequestStrings.seed(-1);
		assertTrue(r >= 0 && r < (1L << 32));
	}

	@Test
	void modelIndexStandsForItsFolder() throws IOException {
		Path index = Files.createFile(dir.resolve("model_index.json"));
		assertEquals(dir.toAbsolutePath(), RequestStrings.model(index.toFile()));
		assertEquals(dir, RequestStrings.model(dir.toFile()));
		Path single = Files.createFile(dir.resolve("m.safetensors"));
		assertEquals(single, RequestStrings.model(single.toFile()));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.model(null));
		assertThrows(IllegalArgumentException.class, () -> RequestStrings.model(new java.io.File("")));
		assertNull(RequestStrings.optional(new java.io.File("")));
		assertNull(RequestStrings.optional(null));
		assertEquals(dir, RequestStrings.optional(dir.toFile()));
	}
}
