package io.github.diffusej.report;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a self-contained HTML page needs: text escaped for element content and attribute values, and links from
 * the page to files beside it as relative, percent-encoded URLs (so the page works from any folder, zipped or
 * copied, and a file name with spaces, {@code #} or {@code <} does not break it).
 */
public final class Html {

	private Html() {}

	/**
	 * Text for element content or a double- or single-quoted attribute value: {@code & < > " '} become entities.
	 * Null becomes the empty string.
	 */
	public static String escape(String s) {
		if (s == null) return "";
		StringBuilder sb = new StringBuilder(s.length() + 16);
		for (int i = 0; i < s.length(); i++) {
			char c = s.charAt(i);
			switch (c) {
				case '&' -> sb.append("&amp;");
				case '<' -> sb.append("&lt;");
				case '>' -> sb.append("&gt;");
				case '"' -> sb.append("&quot;");
				case '\'' -> sb.append("&#39;");
				default -> sb.append(c);
			}
		}
		return sb.toString();
	}

	/**
	 * The relative URL of {@code file} as seen from a page in {@code pageDir}, each path segment percent-encoded
	 * (RFC 3986: everything but unreserved characters), segments joined by {@code /} on every platform, so that
	 * no character HTML treats specially is left (callers still pass it through {@link #escape}, as every string
	 * put into a page).
	 *
	 * @throws IllegalArgumentException when {@code file} does not lie inside {@code pageDir} (a page that links
	 *         outside its folder would not be self-contained)
	 */
	public static String relativeUrl(Path pageDir, Path file) {
		Path base = pageDir.toAbsolutePath().normalize(), target = file.toAbsolutePath().normalize();
		if (!target.startsWith(base)) throw new IllegalArgumentException(target + " is not inside " + base
			+ ": the page links only to files in its own folder");
		Path rel = base.relativize(target);
		List<String> parts = new ArrayList<>();
		for (Path segment : rel) parts.add(encodeSegment(segment.toString()));
		return String.join("/", parts);
	}

	/** Percent-encodes one path segment as UTF-8 (unreserved characters {@code A-Z a-z 0-9 - . _ ~} stay). */
	static String encodeSegment(String segment) {
		StringBuilder sb = new StringBuilder();
		for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
			int c = b & 0xff;
			if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
				|| c == '~') sb.append((char) c);
			else sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
		}
		return sb.toString();
	}
}
