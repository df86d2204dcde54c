package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.ColorProcessor;
import io.github.diffusej.data.BuildSettings.CaptionSettings;
import io.github.diffusej.data.BuildSettings.CaptionSource;
import io.github.diffusej.data.BuildSettings.Sizing;
import io.github.diffusej.data.BuildSettings.SizingMode;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images from any instrument: image bombs (made here, never stored) are skipped by their header, one bad input
 * never aborts a build, planes too large to decode are tiled straight from the file, the output folder is never an
 * input, and sources far below the training resolution are warned about.
 */
class DatasetBuilderHardeningTest {

	@TempDir
	Path tmp;

	@AfterEach
	void clearBudget() {
		System.clearProperty("diffusej.dataset.decodeBudget");
	}

	static BuildSettings settings(SizingMode mode, int res) {
		return BuildSettings.defaults().withSizing(new Sizing(mode, res, 0, 0.0, 1.0, false))
			.withCaptions(new CaptionSettings("{token} {file}", "", "<cells>", CaptionSource.TEMPLATE));
	}

	BuildReport build(String out, BuildSettings s, List<ImageSource> sources) throws IOException {
		return DatasetBuilder.build(new DatasetBuildRequest(sources, tmp.resolve(out), s), null);
	}

	Path tiff(String name, ImagePlus imp) {
		Path p = tmp.resolve(name);
		assertTrue(imp.getStackSize() > 1 ? new FileSaver(imp).saveAsTiffStack(p.toString())
			: new FileSaver(imp).saveAsTiff(p.toString()));
		return p;
	}

	/** A little-endian TIFF header with one IFD claiming w x h uncompressed 8-bit pixels at offset 8, and no pixels. */
	static byte[] tiffBomb(int w, int h) {
		ByteBuffer b = ByteBuffer.allocate(222).order(ByteOrder.LITTLE_ENDIAN);
		b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(16);
		b.position(16);
		short[][] tags = {{256, 4}, {257, 4}, {258, 3}, {259, 3}, {262, 3}, {273, 4}, {277, 3}, {278, 4}, {279, 4}};
		long[] values = {w, h, 8, 1, 1, 8, 1, h, (long) w * h};
		b.putShort((short) tags.length);
		for (int i = 0; i < tags.length; i++) {
			b.putShort(tags[i][0]).putShort(tags[i][1]).putInt(1);
			if (tags[i][1] == 3) b.putShort((short) values[i]).putShort((short) 0);
			else b.putInt((int) values[i]);
		}
		b.putInt(0);
		return b.array();
	}

	/** A PNG whose header says w x h RGBA: a few hundred bytes that would decode to w*h*4 bytes. */
	static byte[] pngBomb(int w, int h) throws IOException {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		DataOutputStream out = new DataOutputStream(bytes);
		out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
		ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 6).put((byte) 0)
			.put((byte) 0).put((byte) 0);
		chunk(out, "IHDR", ihdr.array());
		java.util.zip.Deflater d = new java.util.zip.Deflater(9);
		d.setInput(new byte[4096]);
		d.finish();
		byte[] z = new byte[8192];
		int n = d.deflate(z);
		chunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
		chunk(out, "IEND", new byte[0]);
		return bytes.toByteArray();
	}

	static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
		out.writeInt(data.length);
		byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
		out.write(t);
		out.write(data);
		CRC32 crc = new CRC32();
		crc.update(t);
		crc.update(data);
		out.writeInt((int) crc.getValue());
	}

	@Test
	void imageBombsAreSkippedByTheirHeaderAndGoodImagesStay() throws IOException {
		Path tb = Files.write(tmp.resolve("bomb.tif"), tiffBomb(30000, 30000));
		Path pb = Files.write(tmp.resolve("bomb.png"), pngBomb(15000, 15000));
		Path garbage = Files.write(tmp.resolve("garbage.tif"), "not a TIFF at all".getBytes());
		Path good = tiff("good.tif", Synthetic.image("good", Synthetic.gray8(256, 256, 3)));
		assertTrue(Files.size(tb) == 222 && Files.size(pb) < 1000);
		System.setProperty("diffusej.dataset.decodeBudget", Long.toString(64L << 20));
		BuildReport r = build("ds", settings(SizingMode.RESIZE_CROP, 128), List.of(ImageSource.of(tb),
			ImageSource.of(pb), ImageSource.of(garbage), ImageSource.of(good)));
		assertEquals(1, r.itemsAdded(), r.summary());
		List<String> reasons = r.skipped().stream().map(s -> s.input() + ": " + s.reason()).toList();
		assertEquals(3, reasons.size(), reasons.toString());
		assertTrue(reasons.get(0).startsWith(tb + ": ImageJ could not open it: unreadable header: the TIFF header claims 30000x30000 uncompressed"
			+ " pixels (900000000 bytes from offset 8) but the file has only 222 bytes"), reasons.get(0));
		assertTrue(reasons.get(1).startsWith(pb + ": 15000x15000 at 32 bits decodes to 858 MB, more than the 64 MB"),
			reasons.get(1));
		assertTrue(reasons.get(2).startsWith(garbage.toString()), reasons.get(2));
	}

	@Test
	void aFailingInputIsRolledBackAndTheBuildGoesOn() throws IOException {
		// an image whose third plane cannot be had: the failure comes after two items were written
		ImageStack st = new ImageStack(200, 200) {
			@Override
			public ij.process.ImageProcessor getProcessor(int n) {
				if (n == 3) throw new OutOfMemoryError("Java heap space (simulated)");
				return super.getProcessor(n);
			}
		};
		for (int z = 0; z < 3; z++) st.addSlice(Synthetic.gray8(200, 200, 10 + z));
		ImagePlus failing = new ImagePlus("failing", st);
		ImagePlus good = Synthetic.image("good", Synthetic.gray8(200, 200, 99));
		BuildReport r = build("ds", settings(SizingMode.RESIZE_CROP, 64), List.of(ImageSource.of(failing),
			ImageSource.of(good)));
		assertEquals(1, r.itemsAdded(), r.summary());
		assertEquals(1, r.dataset().manifest().sources().size(), "the failed source is not recorded");
		assertEquals("good", r.dataset().manifest().sources().get(0).title());
		assertEquals("failing", r.skipped().get(0).input());
		assertTrue(r.skipped().get(0).reason().contains("ran out of memory"), r.skipped().get(0).reason());
		try (Stream<Path> w = Files.walk(tmp.resolve("ds"))) {
			assertEquals(1, w.filter(p -> p.toString().endsWith(".png")).count(), "no orphan image of the failed source");
		}
		assertEquals("train/00001.png", r.dataset().manifest().items().get(0).image(), "numbering restarts cleanly");
	}

	@Test
	void aPlaneTooLargeToDecodeIsTiledFromTheFileWithTheSameResult() throws IOException {
		ImageStack st = new ImageStack(700, 520);
		st.addSlice(Synthetic.gray16(700, 520, 5, 1000, 3000));
		st.addSlice(Synthetic.gray16(700, 520, 6, 500, 2000));
		Path big = tiff("big.tif", new ImagePlus("big", st));
		BuildReport decoded = build("decoded", settings(SizingMode.TILE, 256), List.of(ImageSource.of(big)));
		System.setProperty("diffusej.dataset.decodeBudget", Long.toString(256 << 10));
		BuildReport streamed = build("streamed", settings(SizingMode.TILE, 256), List.of(ImageSource.of(big)));
		assertTrue(streamed.notes().stream().anyMatch(n -> n.contains("tiled straight from the file")), streamed.summary());
		assertEquals(decoded.itemsAdded(), streamed.itemsAdded());
		assertTrue(decoded.itemsAdded() >= 8, decoded.summary());
		List<DatasetItem> a = decoded.dataset().all(), b = streamed.dataset().all();
		for (int i = 0; i < a.size(); i++) {
			ColorProcessor x = DatasetStack.readRgb(a.get(i).image()), y = DatasetStack.readRgb(b.get(i).image());
			assertArrayEquals((int[]) x.getPixels(), (int[]) y.getPixels(), "item " + i + " identical");
			assertEquals(a.get(i).caption(), b.get(i).caption());
		}
		// other sizing modes cannot stream: the source is skipped with the reason, not decoded
		BuildReport other = null;
		try {
			other = build("resized", settings(SizingMode.RESIZE_CROP, 256), List.of(ImageSource.of(big),
				ImageSource.of(Synthetic.image("small", Synthetic.gray8(300, 300, 1)))));
		}
		finally {
			System.clearProperty("diffusej.dataset.decodeBudget");
		}
		assertTrue(other.skipped().get(0).reason().contains("tile mode reads this uncompressed TIFF tile by tile"),
			other.skipped().get(0).reason());
	}

	@Test
	void theOutputFolderIsNeverAnInput() throws IOException {
		Path in = Files.createDirectories(tmp.resolve("in"));
		for (int i = 0; i < 3; i++) tiff("in/img" + i + ".tif", Synthetic.image("img" + i, Synthetic.gray8(128, 128, i)));
		BuildSettings s = settings(SizingMode.RESIZE_CROP, 64);
		Path out = in.resolve("dataset");
		DatasetBuilder.build(new DatasetBuildRequest(ImageSource.folder(in, true), out, s), null);
		// again, recursively, adding to the dataset that now sits inside the input folder
		BuildReport again = DatasetBuilder.build(new DatasetBuildRequest(ImageSource.folder(in, true), out, s)
			.withIfExists(DatasetBuildRequest.ExistingPolicy.ADD), null);
		assertEquals(3, again.itemsAdded(), again.summary());
		assertTrue(again.notes().stream().anyMatch(n -> n.contains("inside the output folder") && n.contains(out
			.toAbsolutePath().normalize().toString())), again.summary());
		assertTrue(again.dataset().manifest().sources().stream().noneMatch(src -> src.file().contains("dataset")));
	}

	@Test
	void tinySourcesAreWarnedAboutInTheReportAndByTheCheck() throws IOException {
		List<ImageSource> sources = new ArrayList<>();
		for (int i = 0; i < 4; i++) sources.add(ImageSource.of(Synthetic.image("tiny" + i, Synthetic.gray8(40, 40, i))));
		BuildReport r = build("ds", settings(SizingMode.RESIZE_CROP, 512), sources);
		assertTrue(r.summary().contains("WARNING: tiny0 is only 40x40 pixels, far below the training resolution 512: "
			+ "its images are enlarged 12.8x"), r.summary());
		List<DatasetCheck.Finding> f = DatasetCheck.check(r.dataset(), DatasetCheck.Method.TEXTUAL_INVERSION, "", 512);
		DatasetCheck.Finding small = f.stream().filter(x -> x.code().equals("SMALL_SOURCES")).findFirst().orElseThrow();
		assertTrue(small.message().startsWith("4 of 4 source images are at most half the training resolution 512")
			&& small.message().contains("tiny0 (40x40)"), small.message());
	}
}
