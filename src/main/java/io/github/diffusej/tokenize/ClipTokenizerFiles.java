package io.github.diffusej.tokenize;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content of a diffusers {@code tokenizer/} folder, read and checked: the BPE vocabulary and merges, the
 * special tokens and the added tokens. Every error names the file and the defect.
 *
 * @param vocab            vocab.json: token to id
 * @param merges           merges.txt without the header, as "a b" pairs, capped like transformers' slow CLIP
 *                         tokenizer (first 49152 - 256 - 2 = 48894 merges)
 * @param bos              bos_token content
 * @param eos              eos_token content
 * @param unk              unk_token content
 * @param pad              pad_token content
 * @param modelMaxLength   model_max_length (77 when absent)
 * @param addedTokens      added_tokens_decoder of tokenizer_config.json, id to content, ascending ids
 */
record ClipTokenizerFiles(Map<String, Integer> vocab, List<String> merges, String bos, String eos, String unk,
	String pad, int modelMaxLength, Map<Integer, String> addedTokens) {

	static final String VOCAB = "vocab.json";
	static final String MERGES = "merges.txt";
	static final String CONFIG = "tokenizer_config.json";
	static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

	/** transformers' CLIPTokenizer reads only this many merges ({@code 49152 - 256 - 2 + 1} lines, header included). */
	static final int MAX_MERGES = 49152 - 256 - 2;

	private static final String DEFAULT_BOS = "<|startoftext|>";
	private static final String DEFAULT_EOS = "<|endoftext|>";

	/**
	 * Reads the files. vocab.json and merges.txt are required; tokenizer_config.json and special_tokens_map.json
	 * are optional (as in transformers: CLIP defaults are used), but must be valid when present.
	 * {@code config} and {@code specialTokensMap} may be null to mean "absent".
	 */
	static ClipTokenizerFiles read(Path vocabFile, Path mergesFile, Path config, Path specialTokensMap)
		throws IOException {
		Map<String, Integer> vocab = readVocab(vocabFile);
		List<String> merges = readMerges(mergesFile);
		JsonObject cfg = config != null && Files.exists(config) ? readObject(config) : new JsonObject();
		JsonObject map = specialTokensMap != null && Files.exists(specialTokensMap) ? readObject(specialTokensMap)
			: new JsonObject();

		// special_tokens_map.json overrides tokenizer_config.json, as in transformers' from_pretrained
		String bos = special(map, specialTokensMap, cfg, config, "bos_token", DEFAULT_BOS);
		String eos = special(map, specialTokensMap, cfg, config, "eos_token", DEFAULT_EOS);
		String unk = special(map, specialTokensMap, cfg, config, "unk_token", DEFAULT_EOS);
		String pad = special(map, specialTokensMap, cfg, config, "pad_token", DEFAULT_EOS);

		int maxLength = 77;
		if (cfg.has("model_max_length") && !cfg.get("model_max_length").isJsonNull()) {
			JsonElement m = cfg.get("model_max_length");
			try {
				maxLength = m.getAsJsonPrimitive().getAsBigDecimal().intValueExact();
			} catch (RuntimeException e) {
				throw new IOException(config + ": model_max_length must be an integer in 3.." + MAX_LENGTH + ", found " + m
					+ " (SD tokenizers use 77; transformers writes a huge number for 'no limit')");
			}
			if (maxLength < 3 || maxLength > MAX_LENGTH) {
				throw new IOException(config + ": model_max_length must be in 3.." + MAX_LENGTH + ", found " + maxLength
					+ (maxLength < 3 ? " (no room for BOS, a token and EOS)" : ""));
			}
		}

		Map<Integer, String> added = new TreeMap<>();
		if (cfg.has("added_tokens_decoder")) {
			try {
				for (Map.Entry<String, JsonElement> e : cfg.getAsJsonObject("added_tokens_decoder").entrySet()) {
					added.put(Integer.parseInt(e.getKey()), tokenContent(e.getValue()));
				}
			} catch (RuntimeException e) {
				throw new IOException(config + ": added_tokens_decoder is malformed (" + e.getMessage() + ")", e);
			}
		}
		return new ClipTokenizerFiles(vocab, merges, bos, eos, unk, pad, maxLength, added);
	}

	private static Map<String, Integer> readVocab(Path file) throws IOException {
		JsonObject obj = readObject(file);
		Map<String, Integer> vocab = new LinkedHashMap<>(obj.size() * 2);
		for (Map.Entry<String, JsonElement> e : obj.entrySet()) {
			JsonElement v = e.getValue();
			if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
				throw new IOException(file + ": id of token '" + e.getKey() + "' is not a number: " + v);
			}
			vocab.put(e.getKey(), v.getAsInt());
		}
		if (vocab.isEmpty()) {
			throw new IOException(file + ": the vocabulary is empty");
		}
		return vocab;
	}

	private static List<String> readMerges(Path file) throws IOException {
		List<String> lines = readLines(file);
		List<String> merges = new ArrayList<>();
		// Python: read().strip().split("\n")[1:48895] -> the first line is always skipped as the header
		int first = 1;
		for (int i = first; i < lines.size() && merges.size() < MAX_MERGES; i++) {
			String line = lines.get(i).strip();
			if (line.isEmpty()) {
				continue;
			}
			String[] parts = line.split("\\s+");
			if (parts.length != 2) {
				throw new IOException(file + ": line " + (i + 1) + " is not a merge of two symbols: '" + line + "'");
			}
			merges.add(parts[0] + " " + parts[1]);
		}
		if (merges.isEmpty()) {
			throw new IOException(file + ": contains no merges");
		}
		return merges;
	}

	private static List<String> readLines(Path file) throws IOException {
		try {
			return Files.readAllLines(file, StandardCharsets.UTF_8);
		} catch (NoSuchFileException e) {
			throw new NoSuchFileException(file.toString(), null, "required tokenizer file is missing");
		} catch (java.nio.charset.MalformedInputException e) {
			throw new IOException(file + ": not valid UTF-8", e);
		}
	}

	/** The longest token window accepted; each prompt window allocates this many ids. */
	static final int MAX_LENGTH = 4096;

	private static JsonObject readObject(Path file) throws IOException {
		String text;
		try {
			text = Files.readString(file, StandardCharsets.UTF_8);
		} catch (NoSuchFileException e) {
			throw new NoSuchFileException(file.toString(), null, "required tokenizer file is missing");
		} catch (java.nio.charset.MalformedInputException e) {
			throw new IOException(file + ": not valid UTF-8", e);
		}
		try {
			JsonElement root = JsonParser.parseString(text);
			if (!root.isJsonObject()) {
				throw new IOException(file + ": expected a JSON object, found " + kind(root));
			}
			return root.getAsJsonObject();
		} catch (JsonParseException e) {
			throw new IOException(file + ": corrupt JSON (" + e.getMessage() + ")", e);
		}
	}

	private static String kind(JsonElement e) {
		return e.isJsonArray() ? "an array" : e.isJsonNull() ? "null" : "a primitive";
	}

	private static String special(JsonObject map, Path mapFile, JsonObject cfg, Path cfgFile, String key,
		String fallback) throws IOException {
		try {
			if (map.has(key) && !map.get(key).isJsonNull()) {
				return tokenContent(map.get(key));
			}
		} catch (RuntimeException e) {
			throw new IOException(mapFile + ": " + key + " is malformed: " + map.get(key), e);
		}
		try {
			if (cfg.has(key) && !cfg.get(key).isJsonNull()) {
				return tokenContent(cfg.get(key));
			}
		} catch (RuntimeException e) {
			throw new IOException(cfgFile + ": " + key + " is malformed: " + cfg.get(key), e);
		}
		return fallback;
	}

	/** A token written either as a plain string or as an AddedToken object with "content". */
	private static String tokenContent(JsonElement e) {
		if (e.isJsonPrimitive()) {
			return e.getAsString();
		}
		JsonElement content = e.getAsJsonObject().get("content");
		if (content == null || !content.isJsonPrimitive()) {
			throw new IllegalArgumentException("no \"content\" in " + e);
		}
		return content.getAsString();
	}
}
