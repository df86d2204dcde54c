package io.github.diffusej.tokenize;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The added-token table of transformers' slow tokenizer ({@code _added_tokens_encoder}: special tokens and
 * run-time placeholders) and its text splitter. Immutable: adding a token returns a new table.
 *
 * <p>Added tokens are matched case-sensitively on the raw text, anywhere (no word boundaries), before any
 * cleaning or lower-casing; at each position the longest token wins, as in transformers' {@code Trie.split}.
 * The AddedToken flags {@code lstrip}/{@code rstrip} need no handling (the whitespace they strip is dropped by
 * the BasicTokenizer clean-up anyway); {@code single_word} is not supported (false in every SD tokenizer).
 */
final class AddedTokens {

	/** A piece of text: either an added token (with its id) or plain text for the CLIP pipeline (id -1). */
	record Piece(String text, int id) {

		boolean isAddedToken() {
			return id >= 0;
		}
	}

	private final Map<String, Integer> ids;
	private final Map<Integer, String> contents;
	private final int maxLength;

	AddedTokens(Map<String, Integer> ids) {
		this.ids = Collections.unmodifiableMap(new LinkedHashMap<>(ids));
		Map<Integer, String> byId = new HashMap<>();
		int longest = 0;
		for (Map.Entry<String, Integer> e : ids.entrySet()) {
			byId.put(e.getValue(), e.getKey());
			longest = Math.max(longest, e.getKey().length());
		}
		this.contents = Collections.unmodifiableMap(byId);
		this.maxLength = longest;
	}

	AddedTokens with(String content, int id) {
		Map<String, Integer> more = new LinkedHashMap<>(ids);
		more.put(content, id);
		return new AddedTokens(more);
	}

	/** This table without the entries whose id is {@code firstId} or above. */
	AddedTokens withoutIdsFrom(int firstId) {
		Map<String, Integer> fewer = new LinkedHashMap<>();
		ids.forEach((content, id) -> {
			if (id < firstId) fewer.put(content, id);
		});
		return new AddedTokens(fewer);
	}

	/** The id of an added token, or null. */
	Integer id(String content) {
		return ids.get(content);
	}

	/** The content of an added token, or null. */
	String content(int id) {
		return contents.get(id);
	}

	Map<String, Integer> asMap() {
		return ids;
	}

	/** Splits the raw text into added tokens and the plain segments between them (empty segments dropped). */
	List<Piece> split(String text) {
		List<Piece> pieces = new ArrayList<>();
		int segmentStart = 0;
		int i = 0;
		while (i < text.length()) {
			String match = longestMatchAt(text, i);
			if (match == null) {
				i++;
				continue;
			}
			if (i > segmentStart) {
				pieces.add(new Piece(text.substring(segmentStart, i), -1));
			}
			pieces.add(new Piece(match, ids.get(match)));
			i += match.length();
			segmentStart = i;
		}
		if (segmentStart < text.length()) {
			pieces.add(new Piece(text.substring(segmentStart), -1));
		}
		return pieces;
	}

	private String longestMatchAt(String text, int start) {
		int limit = Math.min(maxLength, text.length() - start);
		for (int len = limit; len > 0; len--) {
			String candidate = text.substring(start, start + len);
			if (ids.containsKey(candidate)) {
				return candidate;
			}
		}
		return null;
	}
}
