package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.Rng;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CaptionMakerTest {

	private static DatasetItem item(String caption) {
		return new DatasetItem(Path.of("/data/img-001.png"), caption, null);
	}

	@Test
	void presetsAreTheReferenceTemplates() {
		assertEquals(27, CaptionPreset.OBJECT.templates().size());
		assertEquals(19, CaptionPreset.STYLE.templates().size());
		assertEquals("a photo of a {}", CaptionPreset.OBJECT.templates().get(0));
		assertEquals("a photo of a small {}", CaptionPreset.OBJECT.templates().get(26));
		assertEquals("a large painting in the style of {}", CaptionPreset.STYLE.templates().get(18));
		// the reference list repeats two style templates
		assertEquals(17, new HashSet<>(CaptionPreset.STYLE.templates()).size());
		assertEquals(CaptionPreset.STYLE, CaptionPreset.parse(" Style "));
		assertThrows(IllegalArgumentException.class, () -> CaptionPreset.parse("subject"));
	}

	@Test
	void templatesAreChosenByTheRngAndFilledWithThePlaceholder() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.preset(CaptionPreset.OBJECT, "<my-cell>"));
		Rng a = new Rng(1);
		Rng b = new Rng(1);
		Set<String> seen = new HashSet<>();
		for (int i = 0; i < 2000; i++) {
			String s = c.caption(item(""), a); // the dataset caption is not needed
			assertEquals(s, c.caption(item(""), b));
			assertTrue(s.contains("<my-cell>") && !s.contains("{}"), s);
			seen.add(s);
		}
		assertEquals(27, seen.size(), "every template is used");
		CaptionMaker keep = new CaptionMaker(CaptionRules.preset(CaptionPreset.STYLE, "<s>").withKeepDatasetCaptions(true));
		String s = keep.caption(item("  nuclei in blue "), new Rng(2));
		assertTrue(s.matches(".* in the style of <s> nuclei in blue"), s);
		assertTrue(keep.caption(item(""), new Rng(2)).endsWith("<s>"));
	}

	@Test
	void thePlaceholderIsKeptReplacesWholeWordsOrIsPutFirst() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.datasetCaptions("<my-cell>", "cell"));
		Rng rng = new Rng(0);
		assertEquals("a <my-cell> next to a cell", c.caption(item("a <my-cell> next to a cell"), rng));
		assertEquals("a <my-cell> and another <my-cell>.", c.caption(item("a cell and another Cell."), rng));
		assertEquals("<my-cell>'s nucleus", c.caption(item("cell's nucleus"), rng));
		assertEquals("<my-cell>, many cells, cell-like blobs, <other-cell>",
			c.caption(item("many cells, cell-like blobs, <other-cell>"), rng));
		CaptionMaker noWord = new CaptionMaker(CaptionRules.datasetCaptions("sks", null));
		assertEquals("sks, a micrograph", noWord.caption(item("a micrograph"), rng));
		assertEquals("micrograph of sks", noWord.caption(item("micrograph of sks"), rng));
		assertEquals("as is", new CaptionMaker(CaptionRules.datasetCaptions()).caption(item(" as is "), rng));
	}

	@Test
	void emptyCaptionsAreErrorsNamingTheImageUnlessIntended() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.datasetCaptions("<t>", null));
		DatasetException e = assertThrows(DatasetException.class, () -> c.caption(item("  "), new Rng(0)));
		assertTrue(e.getMessage().contains("/data/img-001.png"), e.getMessage());
		e = assertThrows(DatasetException.class, () -> c.check(List.of(item("fine"), item(""),
			new DatasetItem(Path.of("/data/img-777.png"), "", null))));
		assertTrue(e.getMessage().contains("img-001.png") && e.getMessage().contains("img-777.png"), e.getMessage());
		assertTrue(e.getMessage().startsWith("2 image(s)"), e.getMessage());
		new CaptionMaker(CaptionRules.preset(CaptionPreset.OBJECT, "<t>")).check(List.of(item("")));
		// with dropout 1 every caption is empty on purpose, and nothing else is looked at
		assertEquals("", new CaptionMaker(CaptionRules.datasetCaptions("<t>", null).withCaptionDropout(1)).caption(item(""), new Rng(0)));
	}

	@Test
	void captionDropoutEmptiesAboutItsShare() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.datasetCaptions("<t>", null).withCaptionDropout(0.3));
		Rng rng = new Rng(4);
		int empty = 0;
		for (int i = 0; i < 4000; i++) {
			String s = c.caption(item("a cell"), rng);
			if (s.isEmpty()) empty++;
			else assertEquals("<t>, a cell", s);
		}
		assertTrue(empty > 1050 && empty < 1350, "empty " + empty);
	}

	@Test
	void shufflingKeepsTheFirstTagsAndEveryTag() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.datasetCaptions("sks", null).withShuffle(true, 1));
		Rng rng = new Rng(5);
		Set<String> orders = new HashSet<>();
		for (int i = 0; i < 200; i++) {
			String s = c.caption(item("microscopy, nucleus,, mitochondria , actin,  dapi"), rng);
			List<String> tags = Arrays.asList(s.split(", "));
			assertEquals("sks", tags.get(0), "the prepended trigger is kept first by keep_tokens = 1");
			assertEquals(Set.of("sks", "microscopy", "nucleus", "mitochondria", "actin", "dapi"), new HashSet<>(tags));
			assertEquals(6, tags.size(), "empty tags are removed");
			orders.add(s);
		}
		assertTrue(orders.size() > 50, "orders " + orders.size());
		CaptionMaker keep3 = new CaptionMaker(CaptionRules.datasetCaptions().withShuffle(true, 3).withSeparator(";"));
		for (int i = 0; i < 20; i++) assertTrue(keep3.caption(item("a;b;c;d;e;f"), rng).startsWith("a; b; c; "));
	}

	@Test
	void tagDropoutNeverDropsThePlaceholder() throws DatasetException {
		CaptionMaker c = new CaptionMaker(CaptionRules.datasetCaptions("<t>", null).withTagDropout(0.5));
		Rng rng = new Rng(6);
		int kept = 0;
		for (int i = 0; i < 1000; i++) {
			String s = c.caption(item("a, b, c, d"), rng);
			assertTrue(s.startsWith("<t>"), s);
			kept += s.split(", ").length - 1;
		}
		assertTrue(kept > 1800 && kept < 2200, "kept " + kept);
	}

	@Test
	void theSameSeedGivesTheSameCaptions() throws DatasetException {
		CaptionRules rules = CaptionRules.datasetCaptions("<t>", "cell").withCaptionDropout(0.1).withShuffle(true, 1)
			.withTagDropout(0.2);
		List<String> a = new ArrayList<>();
		List<String> b = new ArrayList<>();
		List<String> other = new ArrayList<>();
		CaptionMaker c = new CaptionMaker(rules);
		Rng ra = new Rng(9);
		Rng rb = new Rng(9);
		Rng ro = new Rng(10);
		for (int i = 0; i < 100; i++) {
			a.add(c.caption(item("cell, x, y, z, w"), ra));
			b.add(c.caption(item("cell, x, y, z, w"), rb));
			other.add(c.caption(item("cell, x, y, z, w"), ro));
		}
		assertEquals(a, b);
		assertNotEquals(a, other);
	}

	@Test
	void badRulesAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> new CaptionRules(List.of("no slot"), false, "<t>", null, ",", 0, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new CaptionRules(List.of("{} {}"), false, "<t>", null, ",", 0, false, 0, 0));
		assertThrows(IllegalArgumentException.class, () -> CaptionRules.preset(CaptionPreset.OBJECT, " "));
		assertThrows(IllegalArgumentException.class, () -> CaptionRules.datasetCaptions().withCaptionDropout(1.5));
		assertThrows(IllegalArgumentException.class, () -> CaptionRules.datasetCaptions().withTagDropout(1));
		assertThrows(IllegalArgumentException.class, () -> CaptionRules.datasetCaptions().withShuffle(true, -1));
		assertThrows(IllegalArgumentException.class, () -> CaptionRules.forMode("tags", "<t>", null));
		assertEquals(CaptionPreset.STYLE.templates(), CaptionRules.forMode("Style", "<t>", null).templates());
		assertEquals("cell", CaptionRules.forMode("dataset", "<t>", "cell").replaceWord());
	}
}
