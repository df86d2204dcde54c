package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.Rng;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.data.DatasetReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dataset on disk (invoke-training jsonl, with masks) through buckets, plan and loader, as the trainer calls them. */
class BatchLoaderTest {

	@TempDir
	Path dir;

	@Test
	void aDatasetBecomesBatchesOfPixelsMasksAndCaptions() throws IOException {
		StringBuilder jsonl = new StringBuilder();
		int[][] sizes = {{96, 48}, {100, 52}, {48, 96}, {64, 64}, {70, 66}, {128, 60}};
		for (int i = 0; i < sizes.length; i++) {
			TestImages.png(TestImages.rgb(sizes[i][0], sizes[i][1], i), dir.resolve("img" + i + ".png"));
			String mask = "";
			if (i % 2 == 0) {
				TestImages.png(TestImages.grey(sizes[i][0] / 2, sizes[i][1] / 2, 100 + i), dir.resolve("mask" + i + ".png"));
				mask = ", \"mask\": \"mask" + i + ".png\"";
			}
			jsonl.append("{\"image\": \"img").append(i).append(".png\", \"text\": \"a cell, stained, ").append(i).append("\"")
				.append(mask).append("}\n");
		}
		Files.writeString(dir.resolve("data.jsonl"), jsonl.toString(), StandardCharsets.UTF_8);
		Path regDir = Files.createDirectories(dir.resolve("reg"));
		for (int i = 0; i < 3; i++) {
			TestImages.png(TestImages.rgb(64, 64, 50 + i), regDir.resolve("r" + i + ".png"));
			Files.writeString(regDir.resolve("r" + i + ".txt"), "a photo of a cell");
		}
		Dataset ds = DatasetReader.read(dir.resolve("data.jsonl"));
		Dataset reg = DatasetReader.read(regDir);
		assertEquals(6, ds.items().size());

		Buckets buckets = Buckets.enumerate(64, 16, 32, 128);
		Buckets.Assignment a = buckets.assignItems(ds.items());
		Buckets.Assignment ra = buckets.assignItems(reg.items());
		BatchPlan plan = new BatchPlan(a.buckets(), 2, ra.buckets(), 2, 99);
		CaptionMaker captions = new CaptionMaker(CaptionRules.datasetCaptions("<my-cell>", "cell").withShuffle(true, 1));
		BatchLoader loader = new BatchLoader(new BatchLoader.Source(ds.items(), a.sizes(), captions),
			new BatchLoader.Source(reg.items(), ra.sizes(), new CaptionMaker(CaptionRules.datasetCaptions())),
			CropMode.RANDOM, true);

		int regs = 0;
		for (BatchPlan.Batch b : plan.epoch(0)) {
			TrainingBatch t = loader.load(b, BatchPlan.streamFor(99, "augment", 0, b.index()),
				BatchPlan.streamFor(99, "captions", 0, b.index()), true);
			int n = b.bucket().width() * b.bucket().height();
			assertEquals(b.size() * 3 * n, t.pixels().length);
			for (int i = 0; i < t.size(); i++) {
				DatasetItem it = t.items().get(i);
				Placement p = t.placements().get(i);
				assertEquals(b.bucket(), p.bucket());
				// the batch holds exactly what the item gives alone under the same placement
				PreparedImage alone = ImagePreparer.prepare(it, p);
				float[] slice = new float[3 * n];
				System.arraycopy(t.pixels(), i * 3 * n, slice, 0, 3 * n);
				assertArrayEquals(alone.pixels(), slice);
				if (t.masks() != null) {
					float[] m = new float[n];
					System.arraycopy(t.masks(), i * n, m, 0, n);
					if (it.hasMask()) assertArrayEquals(alone.mask(), m);
					else for (float v : m) assertEquals(1f, v, "samples without a mask train everywhere");
				}
				String c = t.captions().get(i);
				if (t.regularisation(i)) {
					regs++;
					assertEquals("a photo of a cell", c, "regularisation captions stay as they are");
				}
				else {
					assertTrue(c.startsWith("a <my-cell>, "), c);
				}
			}
			if (t.masks() != null) assertEquals(t.size() * (n / 64), t.latentMasks(8).length);
			// the same batch again, from the same streams, is the same batch; without pixels only masks are read
			TrainingBatch again = loader.load(b, BatchPlan.streamFor(99, "augment", 0, b.index()),
				BatchPlan.streamFor(99, "captions", 0, b.index()), false);
			assertEquals(t.placements(), again.placements());
			assertEquals(t.captions(), again.captions());
			assertNull(again.pixels());
			assertArrayEquals(t.masks(), again.masks());
		}
		assertEquals(12, regs, "one regularisation example per training example (6 items x 2 repeats)");
	}
}
