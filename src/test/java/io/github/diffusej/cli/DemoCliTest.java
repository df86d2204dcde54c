package io.github.diffusej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.PngWithText;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job, on the bundled example, with few steps. */
class DemoCliTest {

	@TempDir
	Path tmp;

	@Test
	void demoRunsEndToEndAndCanBeRepeated() throws Exception {
		String[] args = {"demo", "--out", tmp.toString(), "--example", "examples/cells.tif", "--steps", "2"};
		assertEquals(0, Main.run(args, System.out, System.err));
		assertTrue(Files.isRegularFile(tmp.resolve("dataset/dataset.json")));
		assertTrue(Files.isRegularFile(tmp.resolve("previews/montage.png")));
		Path first = tmp.resolve("previews/preview-0000-1.png");
		assertTrue(PngWithText.readText(first).get("parameters").contains("Seed: 1"));
		byte[] before = Files.readAllBytes(first);
		assertEquals(0, Main.run(args, System.out, System.err), "a second run reuses the dataset and model");
		assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(first)), "same seed, same preview");
	}
}
