package io.github.diffusej.data;

import io.github.diffusej.ProgressListener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.OvalRoi;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.diffusej.data.BuildSettings.CaptionSettings;
import io.github.diffusej.data.BuildSettings.CaptionSource;
import io.github.diffusej.data.BuildSettings.Hygiene;
import io.github.diffusej.data.BuildSettings.Normalization;
import io.github.diffusej.data.BuildSettings.NormalizeMode;
import io.github.diffusej.data.BuildSettings.PlaneMode;
import io.github.diffusej.data.BuildSettings.PlaneSelection;
import io.github.diffusej.data.BuildSettings.Sizing;
import io.github.diffusej.data.BuildSettings.SizingMode;
import io.github.diffusej.data.DatasetBuildRequest.ExistingPolicy;

class DatasetBuilderTest {

	@TempDir
	Path tmp;

	private static Sizing sizing(SizingMode mode, int res) {
		return new Sizing(mode, res, 64, 2.0, 0.95, false);
	}

	private static BuildSettings settings(SizingMode mode, int res, String template) {
		return BuildSettings.defaults().withSizing(sizing(mode, res))
			.withCaptions(new CaptionSettings(template, "", "<cells>", CaptionSource.TEMPLATE));
	}

	private BuildReport build(BuildSettings s, ImageSource... sources) throws IOException {
		return DatasetBuilder.build(new DatasetBuildRequest(List.of(sources), tmp.resolve("ds"), s), null);
	}

	private static ColorProcessor read(Path p) throws IOException {
		return DatasetStack.readRgb(p);
	}

	private static double[] greyStats(ColorProcessor cp) {
		int[] px = (int[]) cp.getPixels();
		double min = 255;
		double max = 0;
		double sum = 0;
		for (int p : px) {
			int g = p & 0xff;
			min = Math.min(min, g);
			max = Math.max(max, g);
			sum += g;
		}
		return new double[] {min, max, sum / px.length};
	}

	private static JsonObject manifestJson(Path root) throws IOException {
		return JsonParser.parseString(Files.readString(root.resolve("dataset.json"))).getAsJsonObject();
	}

	@Test
	void eightBitImageIsResizedCroppedAndCaptionedFromTheTemplate() throws IOException {
		ImagePlus imp = Synthetic.image("blob.tif", Synthetic.gray8(300, 200, 1));
		Calibration cal = imp.getCalibration();
		cal.pixelWidth = 0.1625;
		cal.pixelHeight = 0.1625;
		cal.setUnit("micron");
		imp.setProp("Stain", "DAPI");
		BuildReport r = build(settings(SizingMode.RESIZE_CROP, 128,
			"{token}, {title}, {pixel_width} {unit}/px, {prop:Stain}, z {z}, {slice_label}"),
			ImageSource.of(imp).withProvenance("https://example.org/blobs", "CC-BY-4.0", "Jane Doe, Example Lab"));
		Dataset ds = r.dataset();
		assertEquals(1, ds.items().size());
		DatasetItem it = ds.items().get(0);
		assertEquals("<cells>, blob, 0.1625 micron/px, DAPI, z 1", it.caption());
		assertEquals(tmp.resolve("ds/train/00001.png").toAbsolutePath(), it.image());
		ColorProcessor out = read(it.image());
		assertEquals(128, out.getWidth());
		assertEquals(128, out.getHeight());
		// the centre square of the source, scaled: compare with ImageJ's own crop + resize
		ByteProcessor src = (ByteProcessor) imp.getProcessor().duplicate();
		src.setRoi(50, 0, 200, 200);
		ByteProcessor expect = (ByteProcessor) src.crop().resize(128, 128, true);
		assertEquals(expect.getStatistics().mean, greyStats(out)[2], 0.5);

		JsonObject m = manifestJson(ds.location());
		assertTrue(m.get("complete").getAsBoolean());
		assertTrue(m.get("generator").getAsString().startsWith("DiffuseJ "));
		JsonObject source = m.getAsJsonArray("sources").get(0).getAsJsonObject();
		assertEquals("blob.tif", source.get("title").getAsString());
		assertEquals("CC-BY-4.0", source.get("licence").getAsString());
		assertEquals("Jane Doe, Example Lab", source.get("attribution").getAsString());
		assertEquals("https://example.org/blobs", source.get("source").getAsString());
		assertEquals("micron", source.getAsJsonObject("calibration").get("unit").getAsString());
		assertEquals("8-bit", source.get("type").getAsString());
		JsonObject settings = m.getAsJsonArray("builds").get(0).getAsJsonObject().getAsJsonObject("settings");
		assertEquals(128, settings.getAsJsonObject("sizing").get("resolution").getAsInt());
		assertEquals("PER_IMAGE", settings.getAsJsonObject("normalization").get("mode").getAsString());
		JsonObject item = m.getAsJsonArray("items").get(0).getAsJsonObject();
		assertEquals(50, item.get("x").getAsInt());
		assertEquals(200, item.get("width").getAsInt());
		assertEquals(64, item.get("sha256").getAsString().length());
		assertFalse(Files.list(tmp).anyMatch(p -> p.getFileName().toString().contains(".partial-")));
	}

	@Test
	void sixteenBitNarrowRangeIsNormalisedByPercentiles() throws IOException {
		ImagePlus imp = Synthetic.image("narrow", Synthetic.gray16(256, 256, 5, 1000, 500));
		BuildSettings s = settings(SizingMode.KEEP, 256, "{token}")
			.withNormalization(new Normalization(NormalizeMode.PER_IMAGE, 0.35));
		ColorProcessor out = read(build(s, ImageSource.of(imp)).dataset().items().get(0).image());
		double[] st = greyStats(out);
		assertEquals(0, st[0], 0.0);
		assertEquals(255, st[1], 0.0);
		assertTrue(st[2] > 90 && st[2] < 165, "mean " + st[2]);
		// 0.35 % saturated in all, split between both ends
		int[] px = (int[]) out.getPixels();
		long black = 0;
		long white = 0;
		for (int p : px) {
			if ((p & 0xff) == 0) black++;
			if ((p & 0xff) == 255) white++;
		}
		assertTrue(black <= px.length * 0.004 && white <= px.length * 0.004, black + " black, " + white + " white");
	}

	@Test
	void thirtyTwoBitWithNaNIsHandled() throws IOException {
		FloatProcessor fp = Synthetic.gray32(64, 64, 7);
		for (int y = 10; y < 20; y++) for (int x = 10; x < 20; x++) fp.setf(x, y, Float.NaN);
		BuildReport r = build(settings(SizingMode.KEEP, 64, "{token}"), ImageSource.of(new ImagePlus("f", fp)));
		assertEquals(100, r.nonFinitePixels());
		ColorProcessor out = read(r.dataset().items().get(0).image());
		assertEquals(0, out.get(15, 15) & 0xffffff);
		double[] st = greyStats(out);
		assertEquals(255, st[1], 0.0);
		assertTrue(st[2] > 60, "finite pixels were stretched: mean " + st[2]);
		assertTrue(r.summary().contains("NaN/Inf pixels: 100"), r.summary());
	}

	@Test
	void rgbPassesThroughAndGreyIsReplicated() throws IOException {
		ColorProcessor rgb = Synthetic.rgb(40, 40, 3);
		ByteProcessor grey = Synthetic.gray8(40, 40, 4);
		BuildReport r = build(settings(SizingMode.KEEP, 40, "{title}"), ImageSource.of(new ImagePlus("rgb", rgb)),
			ImageSource.of(new ImagePlus("grey", grey)));
		assertArrayEquals((int[]) rgb.getPixels(), (int[]) read(r.dataset().items().get(0).image()).getPixels());
		ColorProcessor g = read(r.dataset().items().get(1).image());
		for (int i = 0; i < 1600; i += 37) {
			int v = grey.get(i);
			assertEquals((v << 16) | (v << 8) | v, g.get(i) & 0xffffff);
		}
		assertEquals(List.of("rgb", "grey"), r.dataset().items().stream().map(DatasetItem::caption).toList());
	}

	@Test
	void compositeAsDisplayedOrChannelByChannel() throws IOException {
		var ci = Synthetic.composite3("comp", 64, 64);
		BuildSettings s = settings(SizingMode.KEEP, 64, "{token} c{c}")
			.withPlanes(new PlaneSelection(PlaneMode.COMPOSITE, "", "", ""));
		Dataset comp = build(s, ImageSource.of(ci)).dataset();
		assertEquals(1, comp.items().size());
		ColorProcessor cp = read(comp.items().get(0).image());
		int i = 64 * 20 + 30;
		assertEquals(ci.getStack().getProcessor(1).get(i), cp.get(i) >> 16 & 0xff);
		assertEquals(ci.getStack().getProcessor(3).get(i), cp.get(i) & 0xff);
		assertEquals("<cells> c", comp.items().get(0).caption());

		DatasetBuilder.build(new DatasetBuildRequest(List.of(ImageSource.of(ci)), tmp.resolve("ch"),
			s.withPlanes(PlaneSelection.all())), null);
		Dataset all = DatasetReader.read(tmp.resolve("ch"));
		assertEquals(3, all.items().size());
		ColorProcessor green = read(all.items().get(1).image());
		assertEquals(0, green.get(i) >> 16 & 0xff);
		assertEquals(ci.getStack().getProcessor(2).get(i), green.get(i) >> 8 & 0xff);
		assertEquals("<cells> c2", all.items().get(1).caption());
		assertEquals("8-bit composite", manifestJson(tmp.resolve("ch")).getAsJsonArray("sources").get(0)
			.getAsJsonObject().get("type").getAsString());
	}

	@Test
	void hyperstackPlanesAreSelectedByRange() throws IOException {
		ImagePlus hs = Synthetic.hyperstack("hs", 48, 48, 2, 3, 2);
		BuildSettings s = settings(SizingMode.KEEP, 48, "c{c} z{z} t{t} {slice_label}");
		assertEquals(12, build(s, ImageSource.of(hs)).dataset().items().size());

		BuildSettings sub = s.withPlanes(new PlaneSelection(PlaneMode.ALL, "2", "1-2", "2"));
		DatasetBuilder.build(new DatasetBuildRequest(List.of(ImageSource.of(hs)), tmp.resolve("sub"), sub), null);
		assertEquals(List.of("c2 z1 t2 c2-z1-t2", "c2 z2 t2 c2-z2-t2"),
			DatasetReader.read(tmp.resolve("sub")).items().stream().map(DatasetItem::caption).toList());

		hs.setPosition(1, 1, 1);
		BuildSettings current = s.withPlanes(new PlaneSelection(PlaneMode.CURRENT_CHANNEL, "", "3", ""));
		DatasetBuilder.build(new DatasetBuildRequest(List.of(ImageSource.of(hs)), tmp.resolve("cur"), current), null);
		assertEquals(List.of("c1 z3 t1 c1-z3-t1", "c1 z3 t2 c1-z3-t2"),
			DatasetReader.read(tmp.resolve("cur")).items().stream().map(DatasetItem::caption).toList());

		BuildSettings comp = s.withPlanes(new PlaneSelection(PlaneMode.COMPOSITE, "", "", ""));
		DatasetBuilder.build(new DatasetBuildRequest(List.of(ImageSource.of(hs)), tmp.resolve("comp"), comp), null);
		assertEquals(6, DatasetReader.read(tmp.resolve("comp")).items().size());

		BuildSettings none = s.withPlanes(new PlaneSelection(PlaneMode.ALL, "5", "", ""));
		var e = assertThrows(DatasetException.class, () -> DatasetBuilder.build(
			new DatasetBuildRequest(List.of(ImageSource.of(hs)), tmp.resolve("none"), none), null));
		assertTrue(e.getMessage().contains("leaves no plane of this 2x3x2 (CxZxT) image"), e.getMessage());
		assertFalse(Files.exists(tmp.resolve("none")));
	}

	@Test
	void largeImageIsTiledAndEmptyTilesAreSkipped() throws IOException {
		int n = 4096;
		byte[] px = new byte[n * n];
		java.util.Arrays.fill(px, (byte) 10);
		Random rnd = new Random(1);
		// content only in the top-left 2240 x 2240: tiles starting at 0..1792 (stride 448) see it, the rest not
		for (int y = 0; y < 2240; y++) {
			for (int x = 0; x < 2240; x++) px[y * n + x] = (byte) (40 + rnd.nextInt(180));
		}
		ImagePlus big = new ImagePlus("mosaic", new ByteProcessor(n, n, px));
		long t0 = System.nanoTime();
		BuildReport r = build(settings(SizingMode.TILE, 512, "{token} tile {x},{y}"), ImageSource.of(big));
		double secs = (System.nanoTime() - t0) / 1e9;
		assertEquals(25, r.itemsAdded());
		assertEquals(56, r.emptyTilesSkipped());
		ColorProcessor first = read(r.dataset().items().get(0).image());
		assertEquals(512, first.getWidth());
		assertEquals(512, first.getHeight());
		for (int y = 0; y < 512; y += 51) {
			for (int x = 0; x < 512; x += 37) assertEquals(px[y * n + x] & 0xff, first.get(x, y) & 0xff, x + "," + y);
		}
		assertEquals("<cells> tile 1792, 1792", r.dataset().items().get(24).caption());
		assertTrue(r.summary().contains("Empty tiles skipped: 56"), r.summary());
		assertTrue(secs < 30, "tiling took " + secs + " s");
	}

	@Test
	void roiCropsWithMasks() throws IOException {
		ImagePlus imp = new ImagePlus("cells", Synthetic.gray8(400, 300, 11));
		Roi oval = new OvalRoi(50, 50, 80, 80);
		oval.setName("cell1");
		Roi rect = new Roi(250, 100, 60, 120);
		rect.setName("cell2");
		BuildSettings s = settings(SizingMode.ROI_CROPS, 64, "{token} {roi}")
			.withSizing(new Sizing(SizingMode.ROI_CROPS, 64, 0, 2, 0.95, true));
		BuildReport r = build(s, ImageSource.of(imp).withRois(List.of(oval, rect)));
		List<DatasetItem> items = r.dataset().items();
		assertEquals(2, items.size());
		assertEquals("<cells> cell1", items.get(0).caption());
		assertEquals("<cells> cell2", items.get(1).caption());
		assertNotNull(items.get(0).mask());
		ColorProcessor mask = read(items.get(0).mask());
		assertEquals(64, mask.getWidth());
		assertEquals(255, mask.get(32, 32) & 0xff);
		assertEquals(0, mask.get(0, 0) & 0xff); // outside the oval
		for (int i = 0; i < 64 * 64; i++) {
			int v = mask.get(i) & 0xff;
			assertTrue(v == 0 || v == 255, "mask value " + v);
		}
		// rect ROI 60x120 -> square of 120 around it, the mask covers the middle half horizontally
		ColorProcessor m2 = read(items.get(1).mask());
		assertEquals(255, m2.get(32, 5) & 0xff);
		assertEquals(0, m2.get(3, 32) & 0xff);
		String line = Files.readAllLines(r.outputDir().resolve("train/data.jsonl")).get(0);
		assertEquals("../masks/00001.png", JsonParser.parseString(line).getAsJsonObject().get("mask").getAsString());
	}

	@Test
	void masksOnResizedImagesAndRefusalWithoutRois() throws IOException {
		ImagePlus imp = new ImagePlus("cells", Synthetic.gray8(200, 200, 12));
		BuildSettings s = settings(SizingMode.RESIZE_CROP, 100, "{token}")
			.withSizing(new Sizing(SizingMode.RESIZE_CROP, 100, 0, 2, 0.95, true));
		BuildReport r = build(s, ImageSource.of(imp).withRois(List.of(new Roi(0, 0, 100, 200))));
		ColorProcessor mask = read(r.dataset().items().get(0).mask());
		assertEquals(255, mask.get(10, 50) & 0xff);
		assertEquals(0, mask.get(90, 50) & 0xff);
		var e = assertThrows(IllegalArgumentException.class, () -> DatasetBuilder.build(
			new DatasetBuildRequest(List.of(ImageSource.of(imp)), tmp.resolve("nomask"), s), null));
		assertTrue(e.getMessage().contains("no source has an area ROI"), e.getMessage());
	}

	@Test
	void threeFormatsParseBackToTheSameItems() throws IOException {
		ImagePlus hs = Synthetic.hyperstack("hs", 32, 32, 1, 4, 1);
		ImagePlus hs2 = Synthetic.hyperstack("hs2", 32, 32, 1, 2, 1);
		Roi onSlice2 = new Roi(4, 4, 20, 20);
		onSlice2.setPosition(2);
		ImagePlus withMask = new ImagePlus("m", Synthetic.gray8(32, 32, 77));
		DatasetBuildRequest req = new DatasetBuildRequest(
			List.of(ImageSource.of(withMask).withRois(List.of(new Roi(0, 0, 16, 32))),
				ImageSource.of(hs).withRois(List.of(new OvalRoi(0, 0, 32, 32))),
				ImageSource.of(hs2).withRois(List.of(onSlice2))),
			tmp.resolve("all"), List.of(DatasetFormat.CAPTION_DIR, DatasetFormat.INVOKE_JSONL,
				DatasetFormat.DIFFUSERS_METADATA), ExistingPolicy.REFUSE,
			settings(SizingMode.KEEP, 32, "{token} \"quoted\" {title} z{z} {{ok}}").withSizing(
				new Sizing(SizingMode.KEEP, 32, 0, 2, 0.95, true)));
		BuildReport r = DatasetBuilder.build(req, null);
		assertEquals(1, r.emptyMasksSkipped()); // hs2 slice 1: its only ROI sits on slice 2
		Path train = r.outputDir().resolve("train");
		Dataset ours = r.dataset();
		assertEquals(6, ours.items().size());
		assertEquals("<cells> \"quoted\" hs2 z2 {ok}", ours.items().get(5).caption());
		Dataset invoke = DatasetReader.readJsonl(train.resolve("data.jsonl"), JsonlColumns.INVOKE);
		Dataset diffusers = DatasetReader.read(train.resolve("metadata.jsonl"));
		Dataset captions = DatasetReader.readCaptionDir(train);
		assertEquals(DatasetFormat.CAPTION_DIR, ours.format());
		assertTrue(ours.items().stream().allMatch(DatasetItem::hasMask)); // from dataset.json
		assertEquals(ours.items(), invoke.items());
		assertEquals(strip(ours.items()), captions.items());
		assertEquals(strip(ours.items()), diffusers.items());
		assertEquals("<cells> \"quoted\" m z1 {ok}", ours.items().get(0).caption());
	}

	private static List<DatasetItem> strip(List<DatasetItem> items) {
		return items.stream().map(i -> new DatasetItem(i.image(), i.caption(), null)).toList();
	}

	@Test
	void captionsFromSliceLabels() throws IOException {
		ImageStack st = new ImageStack(32, 32);
		st.addSlice("mitosis\nExposure: 20 ms", Synthetic.gray8(32, 32, 20));
		st.addSlice("", Synthetic.gray8(32, 32, 21));
		BuildSettings s = BuildSettings.defaults().withSizing(sizing(SizingMode.KEEP, 32))
			.withCaptions(new CaptionSettings("{token} slice {z}", "sks,", "cell", CaptionSource.SLICE_LABEL));
		Dataset ds = build(s, ImageSource.of(new ImagePlus("st", st))).dataset();
		assertEquals(List.of("sks, mitosis", "sks, cell slice 2"), ds.items().stream().map(DatasetItem::caption).toList());
	}

	@Test
	void duplicatesAreFoundAndOptionallyRemoved() throws IOException {
		ByteProcessor a = Synthetic.gray8(64, 64, 30);
		ByteProcessor near = (ByteProcessor) a.duplicate();
		near.set(5, 5, (near.get(5, 5) + 40) % 256);
		ImageSource[] sources = {ImageSource.of(new ImagePlus("a", a)),
			ImageSource.of(new ImagePlus("copy", a.duplicate())), ImageSource.of(new ImagePlus("near", near)),
			ImageSource.of(new ImagePlus("b", Synthetic.gray8(64, 64, 31)))};
		BuildSettings keep = settings(SizingMode.KEEP, 64, "{title}");
		BuildReport r = build(keep, sources);
		assertEquals(4, r.dataset().items().size());
		assertEquals(2, r.duplicates().size());
		DatasetManifest.Duplicate exact = r.duplicates().get(0);
		assertEquals("00002.png", exact.item());
		assertEquals("00001.png", exact.duplicateOf());
		assertTrue(exact.exact());
		DatasetManifest.Duplicate nearDup = r.duplicates().get(1);
		assertFalse(nearDup.exact());
		assertEquals("00001.png", nearDup.duplicateOf());
		assertFalse(nearDup.removed());

		BuildSettings remove = keep.withHygiene(new Hygiene(true, 4, 0, 1));
		BuildReport r2 = DatasetBuilder.build(new DatasetBuildRequest(List.of(sources), tmp.resolve("dedup"), remove), null);
		assertEquals(List.of("a", "b"), r2.dataset().items().stream().map(DatasetItem::caption).toList());
		assertTrue(r2.duplicates().stream().allMatch(DatasetManifest.Duplicate::removed));
		assertTrue(r2.duplicates().get(0).item().startsWith("copy c1 z1 t1"), r2.duplicates().get(0).item());
	}

	@Test
	void reproducibleValidationSplit() throws IOException {
		List<ImageSource> sources = new ArrayList<>();
		for (int i = 0; i < 10; i++) sources.add(ImageSource.of(new ImagePlus("img" + i, Synthetic.gray8(32, 32, 40 + i))));
		BuildSettings s = settings(SizingMode.KEEP, 32, "{title}").withHygiene(new Hygiene(false, 4, 0.3, 42));
		Dataset ds = DatasetBuilder.build(new DatasetBuildRequest(sources, tmp.resolve("split"), s), null).dataset();
		assertEquals(7, ds.items().size());
		assertEquals(List.of("img2", "img4", "img6"), ds.validation().stream().map(DatasetItem::caption).toList());
		assertEquals(tmp.resolve("split/validation/00003.png").toAbsolutePath(), ds.validation().get(0).image());
		assertEquals(3, Files.readAllLines(tmp.resolve("split/validation/data.jsonl")).size());
		assertEquals(7, Files.readAllLines(tmp.resolve("split/train/data.jsonl")).size());
	}

	@Test
	void existingDatasetIsRefusedAddedToOrReplaced() throws IOException {
		ImageSource one = ImageSource.of(new ImagePlus("one", Synthetic.gray8(32, 32, 50)));
		ImageSource two = ImageSource.of(new ImagePlus("two", Synthetic.gray8(32, 32, 51)));
		BuildSettings s = settings(SizingMode.KEEP, 32, "{title}");
		Path out = tmp.resolve("ds");
		DatasetBuilder.build(new DatasetBuildRequest(List.of(one), out, s), null);
		String before = Files.readString(out.resolve("dataset.json"));

		var refused = assertThrows(DatasetException.class,
			() -> DatasetBuilder.build(new DatasetBuildRequest(List.of(two), out, s), null));
		assertTrue(refused.getMessage().contains("holds a dataset already; nothing was changed"), refused.getMessage());
		assertEquals(before, Files.readString(out.resolve("dataset.json")));
		assertEquals(1, DatasetReader.read(out).items().size());

		BuildReport added = DatasetBuilder.build(new DatasetBuildRequest(List.of(two, one), out,
			List.of(DatasetFormat.INVOKE_JSONL), ExistingPolicy.ADD, s), null);
		assertEquals(List.of("one", "two", "one"), added.dataset().items().stream().map(DatasetItem::caption).toList());
		assertEquals(out.resolve("train/00002.png").toAbsolutePath(), added.dataset().items().get(1).image());
		assertEquals(1, added.duplicates().size()); // "one" again: exact duplicate of the first build's item
		assertEquals("00001.png", added.duplicates().get(0).duplicateOf());
		DatasetManifest m = DatasetReader.readManifest(out);
		assertEquals(2, m.builds().size());
		assertEquals(3, m.sources().size());
		assertEquals(1, m.items().get(2).build());

		BuildReport replaced = DatasetBuilder.build(new DatasetBuildRequest(List.of(two), out,
			List.of(DatasetFormat.INVOKE_JSONL), ExistingPolicy.REPLACE, s), null);
		assertEquals(List.of("two"), replaced.dataset().items().stream().map(DatasetItem::caption).toList());
		assertFalse(Files.exists(out.resolve("train/00002.png")));
		try (Stream<Path> l = Files.list(tmp)) {
			assertEquals(List.of("ds"), l.map(p -> p.getFileName().toString()).toList());
		}
	}

	@Test
	void foreignFoldersAreNeverWrittenInto() throws IOException {
		Path out = Files.createDirectories(tmp.resolve("photos"));
		Files.writeString(out.resolve("holiday.txt"), "precious");
		ImageSource one = ImageSource.of(new ImagePlus("one", Synthetic.gray8(32, 32, 50)));
		for (ExistingPolicy p : ExistingPolicy.values()) {
			var e = assertThrows(DatasetException.class, () -> DatasetBuilder.build(new DatasetBuildRequest(List.of(one),
				out, List.of(DatasetFormat.INVOKE_JSONL), p, BuildSettings.defaults()), null));
			assertTrue(e.getMessage().contains("holds no DiffuseJ dataset"), e.getMessage());
		}
		assertEquals("precious", Files.readString(out.resolve("holiday.txt")));
		assertEquals(1, Files.list(out).count());
		// an empty folder is fine
		Path empty = Files.createDirectories(tmp.resolve("empty"));
		DatasetBuilder.build(new DatasetBuildRequest(List.of(one), empty, settings(SizingMode.KEEP, 32, "x")), null);
		assertEquals(1, DatasetReader.read(empty).items().size());
	}

	@Test
	void cancelledOrFailedBuildsLeaveNothingBehind() throws IOException {
		ImageSource[] sources = new ImageSource[3];
		for (int i = 0; i < 3; i++) sources[i] = ImageSource.of(new ImagePlus("s" + i, Synthetic.gray8(32, 32, 60 + i)));
		int[] calls = {0};
		ProgressListener cancelLater = new ProgressListener() {

			@Override
			public void progress(int done, int total, String message) {
				calls[0]++;
			}

			@Override
			public boolean isCancelled() {
				return calls[0] > 3;
			}
		};
		Path out = tmp.resolve("ds");
		assertThrows(CancellationException.class, () -> DatasetBuilder.build(
			new DatasetBuildRequest(List.of(sources), out, settings(SizingMode.KEEP, 32, "x")), cancelLater));
		ProgressListener failing = (done, total, message) -> {
			if (message.startsWith("s2")) throw new IllegalStateException("disk unplugged");
		};
		assertThrows(IllegalStateException.class, () -> DatasetBuilder.build(
			new DatasetBuildRequest(List.of(sources), out, settings(SizingMode.KEEP, 32, "x")), failing));
		try (Stream<Path> l = Files.list(tmp)) {
			assertEquals(List.of(), l.toList());
		}
		// a dataset.json that says the build did not finish is refused by the reader
		Files.createDirectories(out);
		Files.writeString(out.resolve("dataset.json"), "{\"format_version\": 1, \"complete\": false, \"formats\": [\"invoke-jsonl\"]}");
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(out));
		assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
	}

	@Test
	void folderWithCorruptAndForeignFilesIsBuiltAndTheBadOnesReported() throws IOException {
		Path in = Files.createDirectories(tmp.resolve("in"));
		Synthetic.savePng(Synthetic.gray8(40, 40, 70), in.resolve("good.png"));
		new ij.io.FileSaver(new ImagePlus("t", Synthetic.gray16(40, 40, 71, 0, 4000))).saveAsTiff(in.resolve("good16.tif").toString());
		byte[] junk = new byte[200];
		new Random(3).nextBytes(junk);
		Files.write(in.resolve("broken.png"), junk);
		Files.write(in.resolve("broken.tif"), new byte[] {'I', 'I', 42, 0, 1, 2});
		Files.writeString(in.resolve("notes.md"), "# notes");
		BuildReport r = DatasetBuilder.build(new DatasetBuildRequest(ImageSource.folder(in, false), tmp.resolve("ds"),
			settings(SizingMode.KEEP, 40, "{file}")), null);
		assertEquals(List.of("good.png", "good16.tif"), r.dataset().items().stream().map(DatasetItem::caption).toList());
		assertEquals(3, r.skipped().size());
		String summary = r.summary();
		assertTrue(summary.contains(in.resolve("broken.png") + ": ImageJ could not open it"), summary);
		assertTrue(summary.contains(in.resolve("broken.tif") + ": ImageJ could not open it"), summary);
		assertTrue(summary.contains(in.resolve("notes.md") + ": not an image file type ImageJ opens"), summary);
		assertEquals(3, manifestJson(tmp.resolve("ds")).getAsJsonArray("skipped").size());
		assertNull(r.dataset().items().get(0).mask());
	}
}
