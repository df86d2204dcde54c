package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.vae.AutoencoderKL;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Tiled VAE decoding against a plain re-implementation of diffusers' {@code tiled_decode} written here on Java
 * arrays (tiles decoded one by one, blended linearly top-down and left-right, cropped and stitched), on tiny-sd1.
 */
class TiledDecodeTest {

	@Test
	void matchesDiffusersTiling() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad()) {
			AutoencoderKL vae = AutoencoderKLTest.load(m, DataType.FLOAT32);
			Engine.getInstance().setRandomSeed(3);
			int tile = 8;
			double overlap = 0.25;
			NDArray z = m.randomNormal(new Shape(1, 4, 13, 18)); // uneven edges: the last tiles are smaller
			float[] expected = reference(vae, z, tile, overlap);
			NDArray tiled = vae.decodeTiled(z, tile, overlap);
			assertArrayEquals(expected, tiled.toFloatArray(), 1e-5f);
			// one tile or less: the plain decode
			NDArray small = z.get(":, :, 0:8, 0:8");
			assertArrayEquals(vae.decode(small).toFloatArray(), vae.decodeTiled(small, tile, overlap).toFloatArray(), 0f);
			assertThrows(IllegalArgumentException.class, () -> vae.decodeTiled(z, 8, 1.0));
		}
	}

	/** diffusers 0.25.1 AutoencoderKL.tiled_decode, step by step, on float arrays [3][H][W] per tile. */
	private static float[] reference(AutoencoderKL vae, NDArray z, int tile, double overlap) {
		int f = 2; // tiny-sd1's VAE has two blocks
		int h = (int) z.getShape().get(2), w = (int) z.getShape().get(3);
		int stride = (int) (tile * (1 - overlap));
		int blend = (int) (tile * f * overlap);
		int limit = tile * f - blend;
		int rowsN = (h + stride - 1) / stride, colsN = (w + stride - 1) / stride;
		float[][][][][] tiles = new float[rowsN][colsN][][][];
		for (int r = 0; r < rowsN; r++) {
			for (int c = 0; c < colsN; c++) {
				int i = r * stride, j = c * stride;
				NDArray part = z.get(new NDIndex(":, :, {}:{}, {}:{}", i, Math.min(h, i + tile), j, Math.min(w, j + tile)));
				NDArray img = vae.decode(part);
				int th = (int) img.getShape().get(2), tw = (int) img.getShape().get(3);
				float[] flat = img.toFloatArray();
				float[][][] t = new float[3][th][tw];
				for (int ch = 0; ch < 3; ch++)
					for (int y = 0; y < th; y++)
						for (int x = 0; x < tw; x++) t[ch][y][x] = flat[(ch * th + y) * tw + x];
				tiles[r][c] = t;
			}
		}
		for (int r = 0; r < rowsN; r++) {
			for (int c = 0; c < colsN; c++) {
				float[][][] b = tiles[r][c];
				if (r > 0) {
					float[][][] a = tiles[r - 1][c];
					int e = Math.min(blend, Math.min(a[0].length, b[0].length));
					for (int ch = 0; ch < 3; ch++)
						for (int y = 0; y < e; y++)
							for (int x = 0; x < b[0][0].length; x++)
								b[ch][y][x] = (float) (a[ch][a[0].length - e + y][x] * (1 - y / (double) e) + b[ch][y][x] * (y / (double) e));
				}
				if (c > 0) {
					float[][][] a = tiles[r][c - 1];
					int e = Math.min(blend, Math.min(a[0][0].length, b[0][0].length));
					for (int ch = 0; ch < 3; ch++)
						for (int y = 0; y < b[0].length; y++)
							for (int x = 0; x < e; x++)
								b[ch][y][x] = (float) (a[ch][y][a[0][0].length - e + x] * (1 - x / (double) e) + b[ch][y][x] * (x / (double) e));
				}
			}
		}
		int outH = 0, outW = 0;
		for (int r = 0; r < rowsN; r++) outH += Math.min(limit, tiles[r][0][0].length);
		for (int c = 0; c < colsN; c++) outW += Math.min(limit, tiles[0][c][0][0].length);
		float[] out = new float[3 * outH * outW];
		int y0 = 0;
		for (int r = 0; r < rowsN; r++) {
			int x0 = 0;
			int th = Math.min(limit, tiles[r][0][0].length);
			for (int c = 0; c < colsN; c++) {
				int tw = Math.min(limit, tiles[r][c][0][0].length);
				for (int ch = 0; ch < 3; ch++)
					for (int y = 0; y < th; y++)
						for (int x = 0; x < tw; x++) out[(ch * outH + y0 + y) * outW + x0 + x] = tiles[r][c][ch][y][x];
				x0 += tw;
			}
			y0 += th;
		}
		return out;
	}
}
