package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;

import ij.ImagePlus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.diffusej.data.BuildSettings.CaptionSettings;
import io.github.diffusej.data.BuildSettings.CaptionSource;
import io.github.diffusej.data.BuildSettings.Hygiene;
import io.github.diffusej.data.BuildSettings.Sizing;
import io.github.diffusej.data.BuildSettings.SizingMode;
import io.github.diffusej.data.DatasetBuildRequest.ExistingPolicy;

class DatasetStackTest {

	@TempDir
	Path tmp;

	private Dataset build() throws IOException {
		List<ImageSource> src = List.of(ImageSource.of(new ImagePlus("a", Synthetic.gray8(48, 48, 1))),
			ImageSource.of(new ImagePlus("b", Synthetic.rgb(48, 48, 2))),
			ImageSource.of(new ImagePlus("wide", Synthetic.gray8(96, 48, 3))),
			ImageSource.of(new ImagePlus("c", Synthetic.gray8(48, 48, 4))));
		BuildSettings s = BuildSettings.defaults().withSizing(new Sizing(SizingMode.KEEP, 48, 0, 2, 0.95, false))
			.withCaptions(new CaptionSettings("{token} {title}", "", "tok", CaptionSource.TEMPLATE))
			.withHygiene(new Hygiene(false, 4, 0.25, 3));
		return DatasetBuilder.build(new DatasetBuildRequest(src, tmp.resolve("ds"),
			List.of(DatasetFormat.INVOKE_JSONL, DatasetFormat.CAPTION_DIR), ExistingPolicy.REFUSE, s), null).dataset();
	}

	@Test
	void openEditSaveRoundTrip() throws IOException {
		Dataset ds = build();
		ImagePlus imp = DatasetStack.open(ds, null);
		assertEquals(4, imp.getStackSize());
		assertEquals(48, imp.getWidth());
		List<String> before = ds.all().stream().map(DatasetItem::caption).toList();
		for (int i = 1; i <= 4; i++) assertEquals(before.get(i - 1), imp.getStack().getSliceLabel(i));
		imp.getStack().setSliceLabel("edited caption", 2);
		Dataset saved = DatasetStack.saveCaptions(imp);
		assertEquals("edited caption", saved.all().get(1).caption());
		assertEquals(before.get(0), saved.all().get(0).caption());
		// every recorded format and the manifest follow
		Path item = saved.all().get(1).image();
		assertEquals("edited caption\n", Files.readString(item.resolveSibling(DatasetReader.stem(item) + ".txt")));
		String rel = DatasetWriter.relative(tmp.resolve("ds"), item);
		DatasetManifest m = DatasetReader.readManifest(tmp.resolve("ds"));
		assertEquals("edited caption", m.items().stream().filter(i -> i.image().equals(rel)).findFirst().orElseThrow().caption());
		assertTrue(Files.readString(item.getParent().resolve("data.jsonl")).contains("edited caption"));
		assertEquals("edited caption", JsonParser.parseString(Files.readString(tmp.resolve("ds/dataset.json")))
			.getAsJsonObject().getAsJsonArray("items").asList().stream()
			.filter(e -> e.getAsJsonObject().get("image").getAsString().equals(rel)).findFirst().orElseThrow()
			.getAsJsonObject().get("caption").getAsString());
	}

	@Test
	void stackIsSavedAgainAsANewDataset() throws IOException {
		Dataset ds = build();
		ImagePlus imp = DatasetStack.open(ds, null);
		imp.getStack().setSliceLabel("tok relabelled", 1);
		BuildSettings s = BuildSettings.defaults().withSizing(new Sizing(SizingMode.KEEP, 48, 0, 2, 0.95, false))
			.withCaptions(new CaptionSettings("{token}", "", "tok", CaptionSource.SLICE_LABEL));
		Dataset copy = DatasetBuilder.build(new DatasetBuildRequest(List.of(ImageSource.of(imp)), tmp.resolve("copy"), s),
			null).dataset();
		List<String> expected = new java.util.ArrayList<>(ds.all().stream().map(DatasetItem::caption).toList());
		expected.set(0, "tok relabelled");
		assertEquals(expected, copy.items().stream().map(DatasetItem::caption).toList());
		for (int i = 0; i < copy.items().size(); i++) {
			assertArrayEquals((int[]) imp.getStack().getProcessor(i + 1).getPixels(),
				(int[]) DatasetStack.readRgb(copy.items().get(i).image()).getPixels());
		}
	}

	@Test
	void stackThatLostSlicesIsRefused() throws IOException {
		ImagePlus imp = DatasetStack.open(build(), null);
		imp.getStack().deleteSlice(3);
		var e = assertThrows(DatasetException.class, () -> DatasetStack.saveCaptions(imp));
		assertTrue(e.getMessage().contains("has 3 slices but dataset"), e.getMessage());
		var e2 = assertThrows(DatasetException.class, () -> DatasetStack.saveCaptions(new ImagePlus("plain",
			Synthetic.gray8(8, 8, 1))));
		assertTrue(e2.getMessage().contains("was not opened with Open Dataset as Stack"), e2.getMessage());
	}
}
