package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.diffusej.io.StrictJson.Dialect;
import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** RFC 8259 and nothing else, with bounds; Python's non-finite tokens only in the Python dialect. */
class StrictJsonTest {

	@Test
	void acceptsWhatTheRfcAllows() throws StrictJson.JsonError {
		JsonElement e = StrictJson.parse(" {\"a\": [1, -0.5e3, 2E+2, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],"
			+ "\r\n\t\"b\": {}, \"c\": []} ", Dialect.STRICT);
		JsonObject o = e.getAsJsonObject();
		assertEquals(new BigDecimal("-0.5e3"), o.getAsJsonArray("a").get(1).getAsBigDecimal());
		assertEquals("x\u00e9\ud83d\ude00\n", o.getAsJsonArray("a").get(6).getAsString());
		assertEquals(3, o.size());
		assertTrue(StrictJson.parse("-Infinity", Dialect.PYTHON).getAsDouble() == Double.NEGATIVE_INFINITY);
		assertTrue(Double.isNaN(StrictJson.parse("[NaN]", Dialect.PYTHON).getAsJsonArray().get(0).getAsDouble()));
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', quoteCharacter = '`', value = {
		"{'a': 1}|(strings and names need double quotes)",
		"{\"a\": 1} // c|no comments",
		"/* c */ {}|no comments",
		"{\"a\": 1,}|a comma before '}'",
		"[1, 2,]|a comma before ']'",
		"{a: 1}|expected a name in double quotes",
		"{\"a\": 01}|leading zero",
		"{\"a\": .5}|expected a value",
		"{\"a\": 1.}|without digits",
		"{\"a\": NaN}|NaN is not JSON",
		"{\"a\": Infinity}|Infinity is not JSON",
		"{\"a\": 1, \"a\": 2}|occurs twice",
		"{\"a\": \"\\x\"}|invalid escape",
		"{\"a\": \"\\ud800\"}|lone surrogate",
		"{\"a\": 1} x|text after the end",
		"{\"a\": tru}|expected a value",
		"{\"a\" 1}|expected ':'",
		"{\"a\": [1 2]}|expected ',' or ']'",
		"|the text ends"})
	void refusesWhatLenientParsersTake(String text, String why) {
		String t = text == null ? "" : text;
		StrictJson.JsonError e = assertThrows(StrictJson.JsonError.class, () -> StrictJson.parse(t, Dialect.STRICT));
		assertTrue(e.getMessage().contains(why), e.getMessage());
		assertTrue(e.getMessage().startsWith("invalid JSON at line 1, column "), e.getMessage());
		assertFalse(e.tooLarge);
	}

	@Test
	void refusesBytesALenientParserSkips() {
		assertTrue(assertThrows(StrictJson.JsonError.class, () -> StrictJson.parse("\uFEFF{}", Dialect.STRICT))
			.getMessage().contains("byte-order mark"));
		assertTrue(assertThrows(StrictJson.JsonError.class, () -> StrictJson.parse("{\"a\tb\": 1}", Dialect.STRICT))
			.getMessage().contains("raw control character U+0009"));
		assertTrue(assertThrows(StrictJson.JsonError.class, () -> StrictJson.parse("{\u00a0}", Dialect.STRICT))
			.getMessage().contains("non-JSON space U+00A0"));
		StrictJson.JsonError e = assertThrows(StrictJson.JsonError.class,
			() -> StrictJson.parse("{\n\"a\": 1,\n\"b\": x}", Dialect.STRICT));
		assertTrue(e.getMessage().startsWith("invalid JSON at line 3, column 6"), e.getMessage());
	}

	@Test
	void depthAndSizeAreBounded() {
		String deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
		StrictJson.JsonError e = assertThrows(StrictJson.JsonError.class, () -> StrictJson.parse(deep, Dialect.STRICT));
		assertTrue(e.tooLarge && e.getMessage().contains("nested deeper than 64 levels"), e.getMessage());
		StrictJson.JsonError big = assertThrows(StrictJson.JsonError.class,
			() -> StrictJson.parse("[1,2,3,4,5,6]", Dialect.STRICT, 8, 5));
		assertTrue(big.tooLarge && big.getMessage().contains("more than 5 JSON values"), big.getMessage());
	}
}
