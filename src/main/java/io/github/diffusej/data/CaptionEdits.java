package io.github.diffusej.data;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Batch edits of captions for the review window and scripts: find and replace, prefix. */
public final class CaptionEdits {

	private CaptionEdits() {}

	/** The edited captions and how many replacements were made. */
	public record Result(List<String> captions, int replacements, int captionsChanged) {}

	/**
	 * Replaces every occurrence of {@code find} in every caption.
	 *
	 * @param regex treat {@code find} as a Java regular expression ({@code $1} groups in {@code replace})
	 * @param matchCase case-sensitive matching
	 * @throws IllegalArgumentException for an empty search or a bad regular expression (message says where)
	 */
	public static Result replaceAll(List<String> captions, String find, String replace, boolean regex, boolean matchCase) {
		if (find == null || find.isEmpty()) throw new IllegalArgumentException("nothing to find");
		Pattern p;
		try {
			int flags = matchCase ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
			p = regex ? Pattern.compile(find, flags) : Pattern.compile(Pattern.quote(find), flags);
		}
		catch (PatternSyntaxException e) {
			throw new IllegalArgumentException("bad regular expression: " + e.getDescription() + " near position "
				+ e.getIndex() + " of '" + find + "'");
		}
		String rep = regex ? replace : Matcher.quoteReplacement(replace == null ? "" : replace);
		List<String> out = new ArrayList<>(captions.size());
		int n = 0;
		int changed = 0;
		for (String c : captions) {
			Matcher m = p.matcher(c);
			int k = 0;
			while (m.find()) k++;
			if (k == 0) {
				out.add(c);
				continue;
			}
			String r;
			try {
				r = m.replaceAll(rep == null ? "" : rep);
			}
			catch (IndexOutOfBoundsException | IllegalArgumentException e) {
				throw new IllegalArgumentException("bad replacement '" + replace + "': " + e.getMessage());
			}
			n += k;
			String tidy = r.replaceAll("\\s+", " ").strip();
			if (!tidy.equals(c)) changed++;
			out.add(tidy);
		}
		return new Result(out, n, changed);
	}

	/** Puts {@code prefix} before every caption that does not start with it already. */
	public static List<String> prefixAll(List<String> captions, String prefix) {
		String p = prefix == null ? "" : prefix.strip();
		if (p.isEmpty()) return List.copyOf(captions);
		return captions.stream().map(c -> c.startsWith(p) ? c : CaptionTemplate.withPrefix(p, c)).toList();
	}
}
