package io.github.diffusej.tokenize;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.github.diffusej.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small CLIP-style byte-level BPE vocabulary (the 256 byte symbols, the same with {@code </w>}, merges learned
 * from a word list, then {@code <|startoftext|>} and {@code <|endoftext|>}), written as the four files of an SD
 * tokenizer folder. It lets DiffuseJ make a complete tiny model for demos and tests without downloading the real
 * 49408-token CLIP vocabulary.
 */
public final class TinyVocabulary {

	private TinyVocabulary() {}

	/** Learns {@code merges} BPE merges from {@code words} (deterministic: ties go to the smaller pair). */
	public static List<String[]> learnMerges(List<String> words, int merges) {
		Map<List<String>, Integer> corpus = new LinkedHashMap<>();
		for (String w : words) {
			String bl = ByteLevelAlphabet.encode(w.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
			if (bl.isEmpty()) continue;
			List<String> symbols = new ArrayList<>();
			for (int i = 0; i < bl.length(); i++) symbols.add(bl.substring(i, i + 1) + (i == bl.length() - 1 ? "</w>" : ""));
			corpus.merge(symbols, 1, Integer::sum);
		}
		List<String[]> out = new ArrayList<>();
		for (int m = 0; m < merges; m++) {
			TreeMap<String, Integer> counts = new TreeMap<>();
			corpus.forEach((sym, n) -> {
				for (int i = 0; i + 1 < sym.size(); i++) counts.merge(sym.get(i) + " " + sym.get(i + 1), n, Integer::sum);
			});
			String best = null;
			int bestCount = 0;
			for (Map.Entry<String, Integer> e : counts.entrySet())
				if (e.getValue() > bestCount) {
					best = e.getKey();
					bestCount = e.getValue();
				}
			if (best == null) break;
			String[] pair = best.split(" ");
			out.add(pair);
			Map<List<String>, Integer> next = new LinkedHashMap<>();
			corpus.forEach((sym, n) -> {
				List<String> s = new ArrayList<>();
				for (int i = 0; i < sym.size(); i++) {
					if (i + 1 < sym.size() && sym.get(i).equals(pair[0]) && sym.get(i + 1).equals(pair[1])) {
						s.add(pair[0] + pair[1]);
						i++;
					}
					else s.add(sym.get(i));
				}
				next.merge(s, n, Integer::sum);
			});
			corpus = next;
		}
		return out;
	}

	/** Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json; returns the vocab size. */
	public static int write(Path dir, List<String> words, int merges) throws IOException {
		return write(dir, words, merges, 0);
	}

	/**
	 * The same with the vocabulary padded to {@code size} entries by tokens that no text produces, the special
	 * tokens last, as in CLIP's: ids then fit a text encoder whose token table has {@code size} rows, and a token
	 * added later (a textual-inversion placeholder) gets the id after the table. 0: no padding.
	 */
	public static int write(Path dir, List<String> words, int merges, int size) throws IOException {
		Map<String, Integer> vocab = new LinkedHashMap<>();
		for (int b = 0; b < 256; b++) vocab.put(ByteLevelAlphabet.encode(new byte[] {(byte) b}), vocab.size());
		for (int b = 0; b < 256; b++) vocab.put(ByteLevelAlphabet.encode(new byte[] {(byte) b}) + "</w>", vocab.size());
		List<String[]> learned = learnMerges(words, merges);
		StringBuilder mergesTxt = new StringBuilder("#version: 0.2\n");
		for (String[] p : learned) {
			mergesTxt.append(p[0]).append(' ').append(p[1]).append('\n');
			vocab.putIfAbsent(p[0] + p[1], vocab.size());
		}
		if (size > 0 && vocab.size() + 2 > size) throw new IllegalArgumentException("a vocabulary of " + (vocab.size() + 2)
			+ " tokens does not fit in " + size);
		for (int i = 0; vocab.size() + 2 < size; i++) vocab.put("<|unused-" + i + "|>", vocab.size());
		vocab.put("<|startoftext|>", vocab.size());
		vocab.put("<|endoftext|>", vocab.size());
		Gson gson = new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();
		AtomicFiles.writeString(dir.resolve("vocab.json"), gson.toJson(vocab));
		AtomicFiles.writeString(dir.resolve("merges.txt"), mergesTxt.toString());
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("bos_token", "<|startoftext|>");
		config.put("eos_token", "<|endoftext|>");
		config.put("pad_token", "<|endoftext|>");
		config.put("unk_token", "<|endoftext|>");
		config.put("model_max_length", 77);
		config.put("tokenizer_class", "CLIPTokenizer");
		AtomicFiles.writeString(dir.resolve("tokenizer_config.json"), gson.toJson(config));
		Map<String, Object> special = new HashMap<>(config);
		special.remove("model_max_length");
		special.remove("tokenizer_class");
		AtomicFiles.writeString(dir.resolve("special_tokens_map.json"), gson.toJson(special));
		return vocab.size();
	}
}
