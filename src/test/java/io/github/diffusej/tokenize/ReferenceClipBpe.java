package io.github.diffusej.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Naive reference for the BPE step: a direct transcription of the merge loop of transformers' slow
 * {@code CLIPTokenizer.bpe} (repeatedly merge the lowest-ranked adjacent pair, left to right), used to check
 * the DJL/HF BPE on many more words than the golden prompts contain.
 */
final class ReferenceClipBpe {

	private final Map<String, Integer> ranks = new HashMap<>();

	ReferenceClipBpe(List<String> merges) {
		for (int i = 0; i < merges.size(); i++) {
			ranks.put(merges.get(i), i);
		}
	}

	/** The BPE pieces of one CLIP word (raw text, as the CLIP regex yields it). */
	List<String> pieces(String word) {
		String bytes = ByteLevelAlphabet.encode(word.getBytes(StandardCharsets.UTF_8));
		List<String> symbols = new ArrayList<>();
		int[] cps = bytes.codePoints().toArray();
		for (int i = 0; i < cps.length; i++) {
			String s = new String(cps, i, 1);
			symbols.add(i == cps.length - 1 ? s + "</w>" : s);
		}
		while (symbols.size() > 1) {
			int best = Integer.MAX_VALUE;
			String first = null;
			String second = null;
			for (int i = 0; i + 1 < symbols.size(); i++) {
				Integer r = ranks.get(symbols.get(i) + " " + symbols.get(i + 1));
				if (r != null && r < best) {
					best = r;
					first = symbols.get(i);
					second = symbols.get(i + 1);
				}
			}
			if (first == null) {
				break;
			}
			List<String> merged = new ArrayList<>(symbols.size());
			int i = 0;
			while (i < symbols.size()) {
				if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
					merged.add(first + second);
					i += 2;
				} else {
					merged.add(symbols.get(i));
					i++;
				}
			}
			symbols = merged;
		}
		return symbols;
	}
}
