package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.process.ColorProcessor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.diffusej.data.DatasetCheck.Finding;
import io.github.diffusej.data.DatasetCheck.Method;
import io.github.diffusej.data.DatasetCheck.Severity;

class DatasetCheckTest {

	@TempDir
	Path tmp;

	private Dataset dataset(List<ColorProcessor> images, List<String> captions) throws IOException {
		List<DatasetItem> items = new ArrayList<>();
		for (int i = 0; i < images.size(); i++) {
			Path p = tmp.resolve(i + ".png");
			DatasetWriter.writePng(images.get(i), p);
			items.add(new DatasetItem(p, captions.get(i), null));
		}
		return new Dataset(tmp, DatasetFormat.INVOKE_JSONL, JsonlColumns.INVOKE, items, List.of(), null);
	}

	private static Set<String> codes(List<Finding> f) {
		return f.stream().map(Finding::code).collect(Collectors.toSet());
	}

	@Test
	void fewSimilarImagesWithoutTokenAreWarnedAbout() throws IOException {
		ColorProcessor a = Synthetic.rgb(64, 64, 1);
		List<ColorProcessor> imgs = List.of(a, (ColorProcessor) a.duplicate(), (ColorProcessor) a.duplicate(),
			Synthetic.rgb(100, 64, 2));
		Dataset ds = dataset(imgs, List.of("a <tok>", "b", "<tok> c", ""));
		List<Finding> lora = DatasetCheck.check(ds, Method.LORA, "<tok>", 512);
		Finding few = lora.stream().filter(f -> f.code().equals("TOO_FEW_IMAGES")).findFirst().orElseThrow();
		assertEquals(Severity.ERROR, few.severity());
		assertTrue(few.message().contains("4 training images; LoRA needs at least 10"), few.message());
		assertEquals(Set.of("TOO_FEW_IMAGES", "LOW_VARIETY", "MISSING_TOKEN", "EMPTY_CAPTIONS", "SMALL_IMAGES",
			"MIXED_SIZES"), codes(lora));
		Finding missing = lora.stream().filter(f -> f.code().equals("MISSING_TOKEN")).findFirst().orElseThrow();
		assertTrue(missing.message().startsWith("2 of 4 captions lack the trigger token '<tok>': 1.png, 3.png"),
			missing.message());
		// textual inversion is happy with a handful
		List<Finding> ti = DatasetCheck.check(ds, Method.TEXTUAL_INVERSION, "<tok>", 64);
		assertTrue(ti.stream().filter(f -> f.code().equals("TOO_FEW_IMAGES")).allMatch(f -> f.severity() == Severity.WARNING));
		assertFalse(codes(ti).contains("SMALL_IMAGES"));
	}

	@Test
	void aVariedDatasetPasses() throws IOException {
		List<ColorProcessor> imgs = new ArrayList<>();
		List<String> caps = new ArrayList<>();
		for (int i = 0; i < 25; i++) {
			imgs.add(Synthetic.rgb(64, 64, 100 + 7 * i));
			caps.add("photo of <tok> " + i);
		}
		List<Finding> f = DatasetCheck.check(dataset(imgs, caps), Method.LORA, "<tok>", 64);
		assertEquals(List.of(), f, DatasetCheck.format(f));
		assertEquals("Dataset check: no problems found", DatasetCheck.format(f));
	}

	@Test
	void unreadableImagesAreErrors() throws IOException {
		Dataset ds = dataset(List.of(Synthetic.rgb(64, 64, 1)), List.of("x"));
		Files.write(ds.items().get(0).image(), new byte[] {1, 2, 3});
		List<Finding> f = DatasetCheck.check(ds, Method.TEXTUAL_INVERSION, "", 64);
		assertTrue(codes(f).contains("UNREADABLE_IMAGES"), DatasetCheck.format(f));
	}
}
