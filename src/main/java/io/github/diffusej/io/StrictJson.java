package io.github.diffusej.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;

/**
 * A JSON reader that accepts exactly RFC 8259 and nothing else, with bounds, for files from untrusted sources.
 *
 * <p>Gson's own parser is lenient: it takes comments, single quotes, unquoted names, a byte-order mark and raw
 * control characters, and a lenient parse can read a file differently from every other tool. This one refuses
 * all of them, refuses duplicate names (which other readers resolve in different ways), bounds the nesting depth
 * (a deeply nested value cannot exhaust the stack) and the number of values (a header of millions of entries is
 * refused by its size before it fills the heap). Errors give the line, column and what was found.
 *
 * <p>{@link Dialect#PYTHON} additionally accepts {@code NaN}, {@code Infinity} and {@code -Infinity}, which
 * Python's {@code json} module writes for non-finite floats (diffusers configs carry {@code -Infinity}).
 * Numbers come out as {@link BigDecimal}, or as doubles for the three Python tokens.
 */
public final class StrictJson {

	/** Which JSON is accepted. */
	public enum Dialect {
		/** RFC 8259 exactly (safetensors headers: what serde_json, the reference's parser, accepts). */
		STRICT,
		/** RFC 8259 plus {@code NaN}, {@code Infinity}, {@code -Infinity} (Python's json module). */
		PYTHON
	}

	/** The default nesting bound; SD configs and safetensors headers nest three levels deep. */
	public static final int DEFAULT_MAX_DEPTH = 64;
	/** Numbers longer than this are refused before BigDecimal sees them. */
	private static final int MAX_NUMBER_CHARS = 400;

	/** A syntax or size error; the message says where and what, without the file name (callers add it). */
	public static final class JsonError extends Exception {

		private static final long serialVersionUID = 1L;

		/** True when a bound (depth, value count) was exceeded, as opposed to a syntax error. */
		public final boolean tooLarge;

		JsonError(String message, boolean tooLarge) {
			super(message);
			this.tooLarge = tooLarge;
		}
	}

	private final String s;
	private final Dialect dialect;
	private final int maxDepth;
	private final long maxValues;
	private int pos;
	private long values;

	private StrictJson(String s, Dialect dialect, int maxDepth, long maxValues) {
		this.s = s;
		this.dialect = dialect;
		this.maxDepth = maxDepth;
		this.maxValues = maxValues;
	}

	/** Parses a whole document: one value, optionally surrounded by JSON whitespace. */
	public static JsonElement parse(String text, Dialect dialect, int maxDepth, long maxValues) throws JsonError {
		StrictJson p = new StrictJson(text, dialect, maxDepth, maxValues);
		if (!text.isEmpty() && text.charAt(0) == '\uFEFF') throw p.error("a byte-order mark (U+FEFF) before the JSON");
		p.skipWhitespace();
		JsonElement root = p.value(0);
		p.skipWhitespace();
		if (p.pos < text.length()) throw p.error("text after the end of the JSON value: " + p.found() + p.hint());
		return root;
	}

	/** {@link #parse(String, Dialect, int, long)} with the default depth bound and no value bound. */
	public static JsonElement parse(String text, Dialect dialect) throws JsonError {
		return parse(text, dialect, DEFAULT_MAX_DEPTH, Long.MAX_VALUE);
	}

	private JsonElement value(int depth) throws JsonError {
		if (++values > maxValues) throw new JsonError("more than " + maxValues + " JSON values", true);
		if (pos >= s.length()) throw error("the text ends where a value was expected");
		char c = s.charAt(pos);
		switch (c) {
			case '{':
				return object(depth + 1);
			case '[':
				return array(depth + 1);
			case '"':
				return new JsonPrimitive(string());
			case 't':
				literal("true");
				return new JsonPrimitive(true);
			case 'f':
				literal("false");
				return new JsonPrimitive(false);
			case 'n':
				literal("null");
				return JsonNull.INSTANCE;
			case 'N':
				pythonLiteral("NaN");
				return new JsonPrimitive(Double.NaN);
			case 'I':
				pythonLiteral("Infinity");
				return new JsonPrimitive(Double.POSITIVE_INFINITY);
			default:
				if (c == '-' && s.startsWith("-Infinity", pos)) {
					pythonLiteral("-Infinity");
					return new JsonPrimitive(Double.NEGATIVE_INFINITY);
				}
				if (c == '-' || c >= '0' && c <= '9') return new JsonPrimitive(number());
				throw error("expected a value, found " + found() + hint());
		}
	}

	private JsonObject object(int depth) throws JsonError {
		checkDepth(depth);
		pos++; // {
		JsonObject o = new JsonObject();
		skipWhitespace();
		if (peek() == '}') {
			pos++;
			return o;
		}
		while (true) {
			skipWhitespace();
			if (peek() != '"') throw error("expected a name in double quotes, found " + found()
				+ (peek() == '}' ? " (a comma before '}')" : hint()));
			int at = pos;
			String name = string();
			if (o.has(name)) {
				pos = at;
				throw error("the name \"" + shorten(name) + "\" occurs twice in one object");
			}
			skipWhitespace();
			expect(':');
			skipWhitespace();
			o.add(name, value(depth));
			skipWhitespace();
			char c = peek();
			pos++;
			if (c == '}') return o;
			if (c != ',') {
				pos--;
				throw error("expected ',' or '}', found " + found() + hint());
			}
		}
	}

	private JsonArray array(int depth) throws JsonError {
		checkDepth(depth);
		pos++; // [
		JsonArray a = new JsonArray();
		skipWhitespace();
		if (peek() == ']') {
			pos++;
			return a;
		}
		while (true) {
			skipWhitespace();
			if (peek() == ']') throw error("a comma before ']'");
			a.add(value(depth));
			skipWhitespace();
			char c = peek();
			pos++;
			if (c == ']') return a;
			if (c != ',') {
				pos--;
				throw error("expected ',' or ']', found " + found() + hint());
			}
		}
	}

	private void checkDepth(int depth) throws JsonError {
		if (depth > maxDepth) throw new JsonError("values nested deeper than " + maxDepth + " levels (at line "
			+ line() + ", column " + column() + ")", true);
	}

	private String string() throws JsonError {
		pos++; // "
		StringBuilder sb = new StringBuilder();
		while (true) {
			if (pos >= s.length()) throw error("the text ends inside a string");
			char c = s.charAt(pos);
			if (c == '"') {
				pos++;
				return sb.toString();
			}
			if (c < 0x20) throw error("a raw control character U+" + String.format("%04X", (int) c)
				+ " inside a string (it must be escaped)");
			if (c == '\\') {
				pos++;
				if (pos >= s.length()) throw error("the text ends inside a string");
				char e = s.charAt(pos);
				switch (e) {
					case '"', '\\', '/' -> sb.append(e);
					case 'b' -> sb.append('\b');
					case 'f' -> sb.append('\f');
					case 'n' -> sb.append('\n');
					case 'r' -> sb.append('\r');
					case 't' -> sb.append('\t');
					case 'u' -> {
						char u = hex4();
						if (Character.isHighSurrogate(u)) {
							if (!s.startsWith("\\u", pos + 1)) throw error("a lone surrogate escape \\u"
								+ String.format("%04x", (int) u));
							pos += 2;
							char low = hex4();
							if (!Character.isLowSurrogate(low)) throw error("a lone surrogate escape \\u"
								+ String.format("%04x", (int) u));
							sb.append(u).append(low);
						}
						else if (Character.isLowSurrogate(u)) throw error("a lone surrogate escape \\u"
							+ String.format("%04x", (int) u));
						else sb.append(u);
					}
					default -> throw error("an invalid escape \\" + e);
				}
				pos++;
				continue;
			}
			sb.append(c);
			pos++;
		}
	}

	/** Reads the four hex digits after {@code \\u} (pos on the 'u'); leaves pos on the last digit. */
	private char hex4() throws JsonError {
		if (pos + 4 >= s.length()) throw error("the text ends inside a \\u escape");
		int v = 0;
		for (int i = 1; i <= 4; i++) {
			int d = Character.digit(s.charAt(pos + i), 16);
			if (d < 0) throw error("an invalid \\u escape");
			v = v * 16 + d;
		}
		pos += 4;
		return (char) v;
	}

	private BigDecimal number() throws JsonError {
		int start = pos;
		if (peek() == '-') pos++;
		if (peek() == '0') pos++;
		else if (isDigit(peek())) while (isDigit(peek())) pos++;
		else throw error("a '-' without digits");
		if (isDigit(peek())) throw error("a number with a leading zero");
		if (peek() == '.') {
			pos++;
			if (!isDigit(peek())) throw error("a '.' without digits after it");
			while (isDigit(peek())) pos++;
		}
		if (peek() == 'e' || peek() == 'E') {
			pos++;
			if (peek() == '+' || peek() == '-') pos++;
			if (!isDigit(peek())) throw error("an exponent without digits");
			while (isDigit(peek())) pos++;
		}
		if (pos - start > MAX_NUMBER_CHARS) throw error("a number of " + (pos - start) + " characters");
		try {
			return new BigDecimal(s.substring(start, pos));
		}
		catch (NumberFormatException e) {
			pos = start;
			throw error("a number out of range");
		}
	}

	/** Why a lenient parser would have taken what strict JSON refuses here. */
	private String hint() {
		char c = peek();
		return c == '\'' ? " (strings and names need double quotes)" : c == '/' ? " (JSON has no comments)" : "";
	}

	private void literal(String word) throws JsonError {
		if (!s.startsWith(word, pos)) throw error("expected a value, found " + found());
		pos += word.length();
	}

	private void pythonLiteral(String word) throws JsonError {
		if (dialect != Dialect.PYTHON || !s.startsWith(word, pos)) throw error("expected a value, found " + found()
			+ (s.startsWith(word, pos) ? " (" + word + " is not JSON)" : ""));
		pos += word.length();
	}

	private void expect(char c) throws JsonError {
		if (peek() != c) throw error("expected '" + c + "', found " + found());
		pos++;
	}

	private char peek() {
		return pos < s.length() ? s.charAt(pos) : '\0';
	}

	private static boolean isDigit(char c) {
		return c >= '0' && c <= '9';
	}

	private void skipWhitespace() {
		while (pos < s.length()) {
			char c = s.charAt(pos);
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
			pos++;
		}
	}

	private String found() {
		if (pos >= s.length()) return "the end of the text";
		int cp = s.codePointAt(pos);
		if (cp < 0x20 || cp == 0x7f) return "the control character U+" + String.format("%04X", cp);
		if (cp == 0xFEFF) return "a byte-order mark (U+FEFF)";
		if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) return "the non-JSON space U+" + String.format("%04X", cp);
		int end = Math.min(s.length(), pos + 20);
		return "'" + s.substring(pos, end) + (end < s.length() ? "..." : "") + "'";
	}

	private JsonError error(String what) {
		return new JsonError("invalid JSON at line " + line() + ", column " + column() + ": " + what, false);
	}

	private int line() {
		int n = 1;
		for (int i = 0; i < Math.min(pos, s.length()); i++) if (s.charAt(i) == '\n') n++;
		return n;
	}

	private int column() {
		int i = Math.min(pos, s.length());
		int start = s.lastIndexOf('\n', i - 1) + 1;
		return i - start + 1;
	}

	private static String shorten(String x) {
		return x.length() > 60 ? x.substring(0, 57) + "..." : x;
	}
}
