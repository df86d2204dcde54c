package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The grid montage: headers that tell the columns apart, cells where the layout says, labels wrapped not cut. */
class GridMontageTest {

	@TempDir
	Path tmp;

	/** A 2 x 2 grid of flat 32 px cells, each its own colour, with two long prompts that share their first 30 chars. */
	static Grid grid() {
		List<GeneratedImage> cells = new ArrayList<>();
		int[] colours = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00};
		for (int i = 0; i < 4; i++) {
			int[] rgb = new int[32 * 32];
			java.util.Arrays.fill(rgb, colours[i]);
			cells.add(new GeneratedImage(32, 32, rgb, 42 + i / 2, "cell " + i, "", Map.of()));
		}
		return new Grid(cells, List.of("seed 42", "seed 43"), List.of(
			"a fluorescence micrograph of <my-cell> nuclei, dividing, high detail",
			"a fluorescence micrograph of <my-cell> nuclei, resting, low magnification"));
	}

	@Test
	void cellsSitBelowTheHeadersAndRightOfTheRowLabels() {
		Grid g = grid();
		BufferedImage m = GridMontage.render(g.images(), g.rowLabels(), g.columnLabels());
		// 32 px cells are enlarged 4x to 128 px; the four colours appear once each, in row-major order
		int[] colours = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00};
		int found = 0;
		int[] firstX = new int[4], firstY = new int[4];
		java.util.Arrays.fill(firstX, -1);
		for (int y = 0; y < m.getHeight(); y++)
			for (int x = 0; x < m.getWidth(); x++)
				for (int c = 0; c < 4; c++)
					if ((m.getRGB(x, y) & 0xffffff) == colours[c] && firstX[c] < 0) {
						firstX[c] = x;
						firstY[c] = y;
						found++;
					}
		assertEquals(4, found, "all four cells drawn");
		assertEquals(firstX[0], firstX[2], "column 1 aligned");
		assertEquals(firstX[1], firstX[3], "column 2 aligned");
		assertEquals(firstY[0], firstY[1], "row 1 aligned");
		assertTrue(firstX[1] - firstX[0] >= 128, "cells enlarged to at least 128 px: " + (firstX[1] - firstX[0]));
		assertTrue(firstY[0] > 20 && firstX[0] > 20, "room for headers above and left: " + firstX[0] + "," + firstY[0]);
		assertTrue(countDark(m, 0, 0, m.getWidth(), firstY[0]) > 100, "column headers drawn");
		assertTrue(countDark(m, 0, firstY[0], firstX[0], m.getHeight()) > 30, "row headers drawn");
		// the two column headers differ (today's labels were both cut to the same first characters)
		int mid = firstX[1] - 2;
		assertNotEquals(pixels(m, firstX[0], 0, mid, firstY[0]), pixels(m, firstX[1], 0, firstX[1] + (mid - firstX[0]),
			firstY[0]));
	}

	@Test
	void longLabelsWrapOverLinesAndEndInAnEllipsisOnlyWhenTooLong() {
		BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = probe.createGraphics();
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
		FontMetrics fm = g.getFontMetrics();
		String prompt = "a fluorescence micrograph of <my-cell> nuclei, resting";
		List<String> lines = GridMontage.wrap(prompt, fm, 200, 3);
		assertTrue(lines.size() > 1 && lines.size() <= 3, lines.toString());
		for (String l : lines) assertTrue(fm.stringWidth(l) <= 200, l);
		assertEquals(prompt, String.join(" ", lines), "nothing lost when it fits in three lines");
		String longer = (prompt + " ").repeat(6).strip();
		List<String> cut = GridMontage.wrap(longer, fm, 116, 3);
		assertEquals(3, cut.size());
		assertTrue(cut.get(2).endsWith("…"), cut.toString());
		List<String> word = GridMontage.wrap("<a-very-long-trigger-token-without-spaces-at-all>", fm, 60, 3);
		for (String l : word) assertTrue(fm.stringWidth(l) <= 60, l);
		assertEquals(List.of(""), GridMontage.wrap("", fm, 60, 3));
		g.dispose();
	}

	@Test
	void sharedWordsGoIntoATitleAndTheColumnsShowWhatDiffers() {
		assertEquals(List.of("a micrograph of … nuclei, high detail", "dividing", "resting"), GridMontage.commonParts(
			List.of("a micrograph of dividing nuclei, high detail", "a micrograph of  resting nuclei, high detail")));
		assertEquals(null, GridMontage.commonParts(List.of("a cell", "two cells")));
		assertEquals(null, GridMontage.commonParts(List.of("a cell", "a cell")), "no words of their own");
	}

	@Test
	void pngOfAGridCarriesItsLabels() throws Exception {
		Path p = ResultStack.saveMontagePng(grid(), tmp.resolve("grid.png"));
		BufferedImage read = ImageIO.read(p.toFile());
		assertTrue(read.getWidth() > 2 * 128);
		Map<String, String> text = PngWithText.readText(p);
		assertEquals("seed 42 | seed 43", text.get("diffusej:rows"));
		assertTrue(text.get("diffusej:columns").contains("dividing, high detail | a fluorescence"), text.toString());
		assertFalse(text.get("diffusej:columns").contains("..."), "whole prompts, not shortened ones");
	}

	static int countDark(BufferedImage m, int x0, int y0, int x1, int y1) {
		int n = 0;
		for (int y = y0; y < y1; y++)
			for (int x = x0; x < x1; x++) {
				int v = m.getRGB(x, y) & 0xffffff;
				if (((v >> 16) & 255) < 128 && ((v >> 8) & 255) < 128 && (v & 255) < 128) n++;
			}
		return n;
	}

	static String pixels(BufferedImage m, int x0, int y0, int x1, int y1) {
		StringBuilder sb = new StringBuilder();
		for (int y = y0; y < y1; y++)
			for (int x = x0; x < x1; x++) sb.append((m.getRGB(x, y) & 0xffffff) < 0x808080 ? '#' : '.');
		return sb.toString();
	}
}
