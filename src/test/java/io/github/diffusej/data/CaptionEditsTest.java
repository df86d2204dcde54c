package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class CaptionEditsTest {

	@Test
	void findAndReplace() {
		var r = CaptionEdits.replaceAll(List.of("a Cell and a cell", "nucleus", "cell"), "cell", "nucleus", false, false);
		assertEquals(List.of("a nucleus and a nucleus", "nucleus", "nucleus"), r.captions());
		assertEquals(3, r.replacements());
		assertEquals(2, r.captionsChanged());
		var cs = CaptionEdits.replaceAll(List.of("a Cell and a cell"), "cell", "X", false, true);
		assertEquals(List.of("a Cell and a X"), cs.captions());
		var literal = CaptionEdits.replaceAll(List.of("cost $5 (a.b)"), "(a.b)", "$1", false, true);
		assertEquals(List.of("cost $5 $1"), literal.captions());
		var re = CaptionEdits.replaceAll(List.of("z 12, t 3"), "z (\\d+)", "slice $1", true, true);
		assertEquals(List.of("slice 12, t 3"), re.captions());
		var removed = CaptionEdits.replaceAll(List.of("a  blurry  cell"), "blurry", "", false, true);
		assertEquals(List.of("a cell"), removed.captions());
	}

	@Test
	void errorsSayWhatIsWrong() {
		var e = assertThrows(IllegalArgumentException.class,
			() -> CaptionEdits.replaceAll(List.of("x"), "(", "y", true, true));
		assertTrue(e.getMessage().startsWith("bad regular expression"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> CaptionEdits.replaceAll(List.of("x"), "", "y", false, true));
	}

	@Test
	void prefix() {
		assertEquals(List.of("sks, a", "sks, b"), CaptionEdits.prefixAll(List.of("a", "sks, b"), "sks,"));
	}
}
