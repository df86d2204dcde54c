package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.gui.OvalRoi;
import ij.gui.Roi;
import ij.process.ByteProcessor;

import java.awt.Rectangle;
import java.util.List;

import org.junit.jupiter.api.Test;

class TilerTest {

	@Test
	void tilesCoverTheImageWithOverlapAndEdgeAlignedLastTile() {
		List<Rectangle> t = Tiler.tiles(1000, 600, 512, 64);
		// x: 3 tiles spread over 0..488 (overlap 268 >= 64); y: 0 and 88 (last touches the bottom edge)
		assertEquals(6, t.size());
		assertEquals(new Rectangle(0, 0, 512, 512), t.get(0));
		assertEquals(new Rectangle(244, 0, 512, 512), t.get(1));
		assertEquals(new Rectangle(488, 0, 512, 512), t.get(2));
		assertEquals(new Rectangle(488, 88, 512, 512), t.get(5));
		assertEquals(81, Tiler.tiles(4096, 4096, 512, 64).size()); // 9 x 9, starts 0, 448, ..., 3584
		assertEquals(64, Tiler.tiles(4096, 4096, 512, 0).size());
		for (Rectangle r : Tiler.tiles(4096, 4096, 512, 64)) {
			assertTrue(r.x >= 0 && r.y >= 0 && r.x + 512 <= 4096 && r.y + 512 <= 4096);
		}
	}

	@Test
	void smallImageGivesCentreSquare() {
		assertEquals(List.of(new Rectangle(50, 0, 300, 300)), Tiler.tiles(400, 300, 512, 64));
		assertEquals(new Rectangle(0, 25, 200, 200), Tiler.centreSquare(200, 250));
	}

	@Test
	void squareAroundRoiIsClampedInsideTheImage() {
		Roi r = new Roi(90, 10, 20, 8);
		assertEquals(new Rectangle(80, 4, 20, 20), Tiler.squareAround(r, 100, 100));
		assertEquals(new Rectangle(15, 0, 50, 50), Tiler.squareAround(new Roi(0, 0, 80, 40), 100, 50));
	}

	@Test
	void roiMaskIsCutLikeTheImage() {
		ByteProcessor m = Tiler.roiMask(200, 200, List.of(new OvalRoi(50, 50, 100, 100)));
		assertEquals(255, m.get(100, 100));
		assertEquals(0, m.get(5, 5));
		ByteProcessor crop = Tiler.cropMask(m, new Rectangle(50, 50, 100, 100), 64, 64);
		assertEquals(64, crop.getWidth());
		assertEquals(255, crop.get(32, 32));
		assertEquals(0, crop.get(0, 0));
		for (int i = 0; i < 64 * 64; i++) assertTrue(crop.get(i) == 0 || crop.get(i) == 255);
	}
}
