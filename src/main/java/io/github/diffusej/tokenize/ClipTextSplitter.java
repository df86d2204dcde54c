package io.github.diffusej.tokenize;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text rules of transformers' slow {@code CLIPTokenizer._tokenize} when ftfy is not installed: the
 * {@code BasicTokenizer(strip_accents=False, do_split_on_punc=False)} clean-up followed by the CLIP split regex.
 * The result is the list of words that byte-level BPE then encodes one by one.
 *
 * <p>Why in Java and not in the tokenizer JSON: HF normalizers have no "drop every C* character" or "space
 * around CJK ideographs" step, and added tokens must be matched on the raw text before any of this (see
 * {@link AddedTokens}), which a JSON normalizer placed before added-token matching cannot do.
 *
 * <p>Character data comes from the JDK (Unicode 13 in Java 17); Python 3.11 uses Unicode 14. Characters assigned
 * in Unicode 14 are "unassigned" (category Cn) here and are dropped, where Python keeps them.
 */
final class ClipTextSplitter {

	/**
	 * CLIP's pattern (tokenization_clip.py), compiled case-insensitive like the Python original. The two special
	 * token literals can only match here when they arrive in another case ({@code <|ENDOFTEXT|>}), because exact
	 * occurrences are split out earlier as added tokens.
	 */
	private static final Pattern CLIP_WORDS = Pattern.compile(
		"<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
		Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

	private ClipTextSplitter() {}

	/** The CLIP words of a text segment that contains no added token. */
	static List<String> words(String segment) {
		String text = basicTokenize(segment);
		List<String> words = new ArrayList<>();
		Matcher m = CLIP_WORDS.matcher(text);
		while (m.find()) {
			words.add(m.group());
		}
		return words;
	}

	/**
	 * {@code " ".join(BasicTokenizer.tokenize(text))}: drop NUL, U+FFFD and C* (except tab/CR/LF), map whitespace
	 * to a space, put spaces around CJK ideographs, NFC, split on whitespace, lower-case each piece.
	 */
	static String basicTokenize(String text) {
		StringBuilder cleaned = new StringBuilder(text.length() + 8);
		text.codePoints().forEach(cp -> {
			if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
				return;
			}
			if (isWhitespace(cp)) {
				cleaned.append(' ');
			} else if (isCjkIdeograph(cp)) {
				cleaned.append(' ').appendCodePoint(cp).append(' ');
			} else {
				cleaned.appendCodePoint(cp);
			}
		});
		String nfc = Normalizer.normalize(cleaned, Normalizer.Form.NFC);
		StringBuilder out = new StringBuilder(nfc.length());
		int start = -1;
		for (int i = 0; i <= nfc.length(); i++) {
			boolean boundary = i == nfc.length() || isPythonSplitSpace(nfc.charAt(i));
			if (boundary && start >= 0) {
				if (out.length() > 0) {
					out.append(' ');
				}
				out.append(nfc.substring(start, i).toLowerCase(Locale.ROOT));
				start = -1;
			} else if (!boundary && start < 0) {
				start = i;
			}
		}
		return out.toString();
	}

	/** BasicTokenizer's {@code _is_control}: category C*, but tab, LF and CR count as whitespace. */
	private static boolean isControl(int cp) {
		if (cp == '\t' || cp == '\n' || cp == '\r') {
			return false;
		}
		switch (Character.getType(cp)) {
			case Character.CONTROL:
			case Character.FORMAT:
			case Character.SURROGATE:
			case Character.PRIVATE_USE:
			case Character.UNASSIGNED:
				return true;
			default:
				return false;
		}
	}

	/** BasicTokenizer's {@code _is_whitespace}: space, tab, LF, CR and category Zs. */
	private static boolean isWhitespace(int cp) {
		return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
	}

	/**
	 * Characters Python's {@code str.split()} still splits on after cleaning: the space and the line/paragraph
	 * separators (Zl, Zp are neither C* nor Zs, so cleaning leaves them in place).
	 */
	private static boolean isPythonSplitSpace(char c) {
		return c == ' ' || c == '\u2028' || c == '\u2029';
	}

	/** BasicTokenizer's {@code _is_chinese_char}: the CJK Unified Ideographs blocks (not kana or hangul). */
	private static boolean isCjkIdeograph(int cp) {
		return (cp >= 0x4E00 && cp <= 0x9FFF)
			|| (cp >= 0x3400 && cp <= 0x4DBF)
			|| (cp >= 0x20000 && cp <= 0x2A6DF)
			|| (cp >= 0x2A700 && cp <= 0x2B73F)
			|| (cp >= 0x2B740 && cp <= 0x2B81F)
			|| (cp >= 0x2B820 && cp <= 0x2CEAF)
			|| (cp >= 0xF900 && cp <= 0xFAFF)
			|| (cp >= 0x2F800 && cp <= 0x2FA1F);
	}
}
