package io.github.diffusej.io;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The safetensors format's rules, written a second time, independently of {@link SafetensorsFile}, for the fuzz
 * test: a file the reader accepts must pass here. It follows the reference implementation (huggingface/safetensors
 * {@code read_metadata} and {@code Metadata::validate}): header length, strict UTF-8, one JSON object (checked with
 * Gson's non-lenient reader plus the checks Gson leaves out: byte-order mark, raw control characters, text after
 * the object, duplicate names), known dtypes, integer shapes and offsets, {@code numel x size} bytes per entry,
 * entries contiguous from byte 0 to the end of the file, string metadata.
 */
final class FormatOracle {

	private FormatOracle() {}

	static final Set<String> DTYPES = Set.of("BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
		"I32", "U32", "F32", "F64", "I64", "U64");

	private record Entry(String name, long size, long begin, long end) {}

	/** Null when {@code file} is a valid safetensors file, else why not. */
	static String verdict(byte[] file) {
		if (file.length < 8) return "shorter than 8 bytes";
		long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
		if (n < 0 || n > 100_000_000L) return "header length " + Long.toUnsignedString(n) + " too large";
		if (8 + n > file.length) return "header length past the end";
		String text;
		try {
			text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(file, 8, (int) n)).toString();
		}
		catch (CharacterCodingException e) {
			return "header not UTF-8";
		}
		String lexical = lexical(text);
		if (lexical != null) return lexical;
		List<Entry> entries = new ArrayList<>();
		try (JsonReader r = new JsonReader(new StringReader(text))) {
			r.setLenient(false);
			if (r.peek() != JsonToken.BEGIN_OBJECT) return "header not an object";
			r.beginObject();
			Set<String> names = new HashSet<>();
			while (r.hasNext()) {
				String name = r.nextName();
				if (!names.add(name)) return "duplicate name " + name;
				if (name.equals("__metadata__")) {
					if (r.peek() != JsonToken.BEGIN_OBJECT) return "metadata not an object";
					r.beginObject();
					Set<String> keys = new HashSet<>();
					while (r.hasNext()) {
						if (!keys.add(r.nextName())) return "duplicate metadata key";
						if (r.peek() != JsonToken.STRING) return "metadata value not a string";
						r.nextString();
					}
					r.endObject();
					continue;
				}
				String why = entry(r, name, entries);
				if (why != null) return why;
			}
			r.endObject();
			if (r.peek() != JsonToken.END_DOCUMENT) return "text after the header object";
		}
		catch (IOException | IllegalStateException | NumberFormatException e) {
			return "JSON: " + e.getMessage();
		}
		entries.sort((a, b) -> a.begin != b.begin ? Long.compare(a.begin, b.begin) : Long.compare(a.end, b.end));
		long start = 0;
		for (Entry e : entries) {
			if (e.begin != start || e.end < e.begin) return "entry " + e.name + " not contiguous";
			if (e.end - e.begin != e.size) return "entry " + e.name + " has the wrong byte length";
			start = e.end;
		}
		if (start + 8 + n != file.length) return "data does not end at the end of the file";
		return null;
	}

	private static String entry(JsonReader r, String name, List<Entry> entries) throws IOException {
		if (r.peek() != JsonToken.BEGIN_OBJECT) return "entry " + name + " not an object";
		r.beginObject();
		String dtype = null;
		List<BigInteger> shape = null, offsets = null;
		Set<String> fields = new HashSet<>();
		while (r.hasNext()) {
			String f = r.nextName();
			if (!fields.add(f)) return "duplicate field " + f;
			switch (f) {
				case "dtype" -> {
					if (r.peek() != JsonToken.STRING) return "dtype not a string";
					dtype = r.nextString();
				}
				case "shape" -> {
					shape = integers(r);
					if (shape == null) return "shape not a list of unsigned integers";
				}
				case "data_offsets" -> {
					offsets = integers(r);
					if (offsets == null || offsets.size() != 2) return "data_offsets not two unsigned integers";
				}
				default -> r.skipValue(); // the reference ignores unknown fields
			}
		}
		r.endObject();
		if (dtype == null || shape == null || offsets == null) return "entry " + name + " incomplete";
		if (!DTYPES.contains(dtype)) return "unknown dtype " + dtype;
		int size = switch (dtype) {
			case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3" -> 1;
			case "I16", "U16", "F16", "BF16" -> 2;
			case "I32", "U32", "F32" -> 4;
			default -> 8;
		};
		BigInteger bytes = BigInteger.valueOf(size);
		for (BigInteger d : shape) bytes = bytes.multiply(d);
		BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
		if (bytes.compareTo(max) > 0 || offsets.get(0).compareTo(max) > 0 || offsets.get(1).compareTo(max) > 0)
			return "sizes beyond 64 bits";
		entries.add(new Entry(name, bytes.longValue(), offsets.get(0).longValue(), offsets.get(1).longValue()));
		return null;
	}

	/** A JSON array of unsigned integers written as plain digits (what serde reads into usize), or null. */
	private static List<BigInteger> integers(JsonReader r) throws IOException {
		if (r.peek() != JsonToken.BEGIN_ARRAY) {
			r.skipValue();
			return null;
		}
		r.beginArray();
		List<BigInteger> out = new ArrayList<>();
		boolean ok = true;
		while (r.hasNext()) {
			if (r.peek() != JsonToken.NUMBER) {
				r.skipValue();
				ok = false;
				continue;
			}
			String t = r.nextString();
			if (!t.matches("0|[1-9][0-9]*")) ok = false;
			else out.add(new BigInteger(t));
		}
		r.endArray();
		return ok ? out : null;
	}

	/**
	 * What Gson's non-lenient reader lets through but JSON forbids: a byte-order mark, raw control characters
	 * (inside strings, or as whitespace other than tab, line feed and carriage return).
	 */
	private static String lexical(String t) {
		if (!t.isEmpty() && t.charAt(0) == '\uFEFF') return "byte-order mark";
		boolean inString = false, escape = false;
		for (int i = 0; i < t.length(); i++) {
			char c = t.charAt(i);
			if (inString) {
				if (escape) escape = false;
				else if (c == '\\') escape = true;
				else if (c == '"') inString = false;
				else if (c < 0x20) return "raw control character in a string";
			}
			else if (c == '"') inString = true;
			else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "control character outside strings";
		}
		return null;
	}
}
