package io.github.diffusej.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A caption template such as {@code "a microscopy image of {token}, {slice_label}, z {z}"}.
 *
 * <p>Fields: {@value #FIELD_LIST}, and {@code {prop:KEY}} for an image property (ImageJ "Image>Properties" or
 * a TIFF info key). {@code {{} and {@code }}} write literal braces. Unknown fields are refused when the template
 * is parsed, so a typo shows at once and not after a long build.
 *
 * <p>After filling in, whitespace is collapsed and comma-separated parts that came out empty are dropped, so
 * {@code "{token}, {slice_label}"} gives {@code "cells"} and not {@code "cells, "} for a plane without a label.
 */
public final class CaptionTemplate {

	static final String FIELD_LIST = "token, title, file, slice_label, index, c, z, t, channels, slices, frames, "
		+ "width, height, x, y, roi, pixel_width, pixel_height, pixel_depth, unit";

	/** The field names a template may use (besides {@code prop:KEY}). */
	public static final Set<String> FIELDS = Set.of(FIELD_LIST.split(", "));

	private final String text;
	private final List<Object> parts; // String literal or Field

	private record Field(String name) {}

	private CaptionTemplate(String text, List<Object> parts) {
		this.text = text;
		this.parts = parts;
	}

	/** Parses a template; unknown fields and unbalanced braces give an IllegalArgumentException naming them. */
	public static CaptionTemplate parse(String template) {
		String t = template == null ? "" : template;
		List<Object> parts = new ArrayList<>();
		StringBuilder lit = new StringBuilder();
		int i = 0;
		while (i < t.length()) {
			char ch = t.charAt(i);
			if (ch == '{' && i + 1 < t.length() && t.charAt(i + 1) == '{') {
				lit.append('{');
				i += 2;
			}
			else if (ch == '}' && i + 1 < t.length() && t.charAt(i + 1) == '}') {
				lit.append('}');
				i += 2;
			}
			else if (ch == '{') {
				int end = t.indexOf('}', i);
				if (end < 0) throw new IllegalArgumentException("Caption template '" + t + "': '{' at position "
					+ (i + 1) + " is never closed (write {{ for a literal brace)");
				String name = t.substring(i + 1, end).trim();
				boolean prop = name.startsWith("prop:") && name.length() > 5;
				if (!prop && !FIELDS.contains(name)) {
					throw new IllegalArgumentException("Caption template '" + t + "': unknown field {" + name
						+ "}; known: " + FIELD_LIST + ", prop:KEY");
				}
				if (lit.length() > 0) {
					parts.add(lit.toString());
					lit.setLength(0);
				}
				parts.add(new Field(name));
				i = end + 1;
			}
			else if (ch == '}') {
				throw new IllegalArgumentException("Caption template '" + t + "': '}' at position " + (i + 1)
					+ " has no opening '{' (write }} for a literal brace)");
			}
			else {
				lit.append(ch);
				i++;
			}
		}
		if (lit.length() > 0) parts.add(lit.toString());
		return new CaptionTemplate(t, List.copyOf(parts));
	}

	public String text() {
		return text;
	}

	/**
	 * Fills in the fields. {@code values} answers a field name (or {@code prop:KEY}) with its value, or null when
	 * it has none (it then comes out empty).
	 */
	public String render(Function<String, String> values) {
		StringBuilder sb = new StringBuilder();
		for (Object p : parts) {
			if (p instanceof Field f) {
				String v = values.apply(f.name());
				if (v != null) sb.append(firstLine(v));
			}
			else sb.append((String) p);
		}
		return tidy(sb.toString());
	}

	/** Joins a prefix and a caption with one space ({@code "sks,"} + {@code "cells"} = {@code "sks, cells"}). */
	public static String withPrefix(String prefix, String caption) {
		String p = prefix == null ? "" : prefix.strip();
		if (p.isEmpty()) return caption;
		if (caption.isEmpty()) return p;
		return p + " " + caption;
	}

	/** Collapses whitespace and drops comma-separated parts that are empty. */
	static String tidy(String s) {
		String collapsed = s.replaceAll("\\s+", " ").strip();
		if (collapsed.indexOf(',') < 0) return collapsed;
		StringBuilder sb = new StringBuilder();
		for (String part : collapsed.split(",")) {
			String p = part.strip();
			if (p.isEmpty()) continue;
			if (sb.length() > 0) sb.append(", ");
			sb.append(p);
		}
		return sb.toString();
	}

	/** A caption is one line: ImageJ slice labels carry metadata after the first line. */
	static String firstLine(String s) {
		int nl = s.indexOf('\n');
		return (nl >= 0 ? s.substring(0, nl) : s).strip();
	}

	@Override
	public String toString() {
		return text;
	}
}
