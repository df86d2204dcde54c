package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.GeneratedImage;
import ij.ImagePlus;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.command.ContextCommand;

/** The listener without SciJava: preview growth (the code path of a Fiji session with a display), saving, cancel. */
class GenerationProgressTest {

	@TempDir
	Path tmp;

	static final class Dummy extends ContextCommand {

		@Override
		public void run() {}
	}

	static GeneratedImage image(long seed, int value) {
		int[] rgb = new int[16];
		java.util.Arrays.fill(rgb, value);
		return new GeneratedImage(4, 4, rgb, seed, "seed " + seed + ": x", "x\nSeed: " + seed, Map.of("seed", "" + seed));
	}

	@Test
	void previewGrowsThenShowsTheFinalOrder() {
		GenerationProgress p = new GenerationProgress(new Dummy(), null, null, "p", "Generated (seed 1)", true);
		GeneratedImage a = image(1, 0x010101), b = image(2, 0x020202), c = image(3, 0x030303);
		p.imageDone(0, a);
		p.imageDone(2, c);
		p.imageDone(1, b);
		ImagePlus r = p.result(List.of(a, b, c));
		assertEquals(3, r.getStackSize());
		assertEquals("seed 2: x", r.getStack().getSliceLabel(2), "final stack in row-major order");
		assertEquals("Generated (seed 1)", r.getTitle());
		assertTrue(((String) r.getProperty("Info")).contains("Seed: 3"));
		assertSame(r, p.result(List.of(a, b, c)), "the preview window's image is the result (shown once)");
		p.clear();
	}

	@Test
	void savesEachFinishedImageAndCancelsOnRequest() throws Exception {
		Dummy cmd = new Dummy();
		GenerationProgress p = new GenerationProgress(cmd, null, tmp, "run", "t", false);
		p.imageDone(3, image(7, 0xFF0000));
		assertEquals(List.of(tmp.resolve("run-0003-7.png")), p.saved());
		assertTrue(Files.size(p.saved().get(0)) > 0);
		assertFalse(p.isCancelled());
		cmd.cancel("stop");
		assertTrue(p.isCancelled());
		Thread.currentThread().interrupt();
		try {
			assertTrue(new GenerationProgress(new Dummy(), null, null, "p", "t", false).isCancelled(), "an interrupt cancels");
		}
		finally {
			Thread.interrupted();
		}
		Path file = Files.createFile(tmp.resolve("not-a-folder"));
		GenerationProgress bad = new GenerationProgress(new Dummy(), null, file, "p", "t", false);
		assertThrows(UncheckedIOException.class, () -> bad.imageDone(0, image(1, 0)));
	}

	@Test
	void statusLineShowsTheTimeLeftOnceStepsAreDone() throws Exception {
		GenerationProgress p = new GenerationProgress(new Dummy(), null, null, "p", "t", false);
		assertEquals("Image 1/2, step 1/10", p.withEta(1, 20, "Image 1/2, step 1/10"), "no pace known yet");
		Thread.sleep(50);
		String s = p.withEta(11, 20, "Image 2/2, step 1/10");
		assertTrue(s.matches("Image 2/2, step 1/10 \\(ETA \\d+s\\)"), s);
		assertEquals("loading", p.withEta(0, -1, "loading"), "no total: no ETA");
	}

	@Test
	void aCancelledPreviewSaysSoInItsTitle() {
		GenerationProgress p = new GenerationProgress(new Dummy(), null, null, "p", "Generated (seed 1)", true);
		p.imageDone(0, image(1, 0x010101));
		p.imageDone(1, image(2, 0x020202));
		p.cancelled(6);
		assertEquals(2, p.images());
		assertEquals("Generated (seed 1) (cancelled: 2 of 6 images)", p.preview().getTitle());
		assertEquals(2, p.preview().getStackSize(), "the images made so far stay");
		p.clear();
	}

	@Test
	void aRunInTheSameSecondDoesNotOverwriteAnEarlierOne() throws Exception {
		assertEquals("diffusej-1", GenerateImagesCommand.freePrefix(tmp, "diffusej-1"));
		Files.createFile(tmp.resolve("diffusej-1-0000-42.png"));
		assertEquals("diffusej-1-2", GenerateImagesCommand.freePrefix(tmp, "diffusej-1"));
		Files.createFile(tmp.resolve("diffusej-1-2-0000-42.png"));
		assertEquals("diffusej-1-3", GenerateImagesCommand.freePrefix(tmp, "diffusej-1"));
		assertEquals("x", GenerateImagesCommand.freePrefix(null, "x"));
	}
}
