package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class CaptionTemplateTest {

	private static final Map<String, String> V = Map.of("token", "<cells>", "title", "HeLa", "z", "3",
		"pixel_width", "0.1625", "unit", "micron", "slice_label", "", "prop:Stain", "DAPI");

	@Test
	void fillsFieldsAndProperties() {
		CaptionTemplate t = CaptionTemplate.parse("a photo of {token} ({title}), z {z}, {pixel_width} {unit}/px, {prop:Stain}");
		assertEquals("a photo of <cells> (HeLa), z 3, 0.1625 micron/px, DAPI", t.render(V::get));
	}

	@Test
	void emptyFieldsLeaveNoDanglingCommas() {
		assertEquals("<cells>", CaptionTemplate.parse("{token}, {slice_label}").render(V::get));
		assertEquals("<cells>, HeLa", CaptionTemplate.parse("{token},  {slice_label} , {title}").render(V::get));
		assertEquals("<cells> HeLa", CaptionTemplate.parse("  {token}   {prop:Missing} {title} ").render(V::get));
	}

	@Test
	void slicedLabelMetadataAfterTheFirstLineIsDropped() {
		assertEquals("nucleus", CaptionTemplate.parse("{slice_label}").render(f -> "nucleus\nExposure: 10 ms"));
	}

	@Test
	void literalBraces() {
		assertEquals("{x} <cells>", CaptionTemplate.parse("{{x}} {token}").render(V::get));
	}

	@Test
	void unknownFieldIsNamed() {
		var e = assertThrows(IllegalArgumentException.class, () -> CaptionTemplate.parse("a {tokn}"));
		assertTrue(e.getMessage().contains("{tokn}"), e.getMessage());
		assertTrue(e.getMessage().contains("token"), e.getMessage());
		var e2 = assertThrows(IllegalArgumentException.class, () -> CaptionTemplate.parse("a {token"));
		assertTrue(e2.getMessage().contains("never closed"), e2.getMessage());
		var e3 = assertThrows(IllegalArgumentException.class, () -> CaptionTemplate.parse("a } b"));
		assertTrue(e3.getMessage().contains("position 3"), e3.getMessage());
	}

	@Test
	void prefixJoinsWithOneSpace() {
		assertEquals("sks, cells", CaptionTemplate.withPrefix("sks,", "cells"));
		assertEquals("sks cells", CaptionTemplate.withPrefix(" sks ", "cells"));
		assertEquals("cells", CaptionTemplate.withPrefix("", "cells"));
		assertEquals("sks", CaptionTemplate.withPrefix("sks", ""));
	}
}
