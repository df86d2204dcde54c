package io.github.diffusej.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * CLIP tokenizer of a Stable Diffusion model, at parity with transformers' slow {@code CLIPTokenizer} (4.36)
 * without ftfy, which is what diffusers uses. Built from a diffusers {@code tokenizer/} folder (vocab.json,
 * merges.txt, tokenizer_config.json, special_tokens_map.json); SD folders ship no {@code tokenizer.json}, so the
 * BPE part of one is composed here ({@link BpeTokenizerJson}) and run by DJL's HuggingFace tokenizers.
 *
 * <p>Pipeline, in the slow tokenizer's order:
 * <ol>
 * <li>added tokens (special tokens such as {@code <|endoftext|>}, the SD2 pad {@code "!"}, run-time placeholders)
 *     are split out of the raw text, case-sensitively and anywhere ({@link AddedTokens}, Java);</li>
 * <li>each remaining segment is cleaned like {@code BasicTokenizer} (drop C*, whitespace to space, spaces around
 *     CJK ideographs, NFC, lower-case) and split with the CLIP regex ({@link ClipTextSplitter}, Java);</li>
 * <li>the words are byte-level BPE encoded with {@code </w>} (DJL / HF tokenizers, pre-tokenized input);</li>
 * <li>BOS/EOS, truncation keeping BOS and EOS, and padding with the model's pad token (Java).</li>
 * </ol>
 * ftfy is not implemented: prompts that ftfy would repair (mojibake, curly quotes, full-width letters) encode as
 * they do in a diffusers install without ftfy.
 *
 * <p>Thread-safe. {@link #addToken} publishes a new immutable added-token table; encoding never waits on it.
 * Requires {@code -Dai.djl.offline=true} in production, like every DJL use in this project.
 */
public final class ClipTokenizer implements AutoCloseable {

	private static final String BOS_LITERAL = "<|startoftext|>";
	private static final String EOS_LITERAL = "<|endoftext|>";
	private static final Map<String, String> HF_OPTIONS =
		Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");

	private final HuggingFaceTokenizer bpe;
	private final Map<String, Integer> vocab;
	private final Map<Integer, String> vocabById;
	private final String bosToken;
	private final String eosToken;
	private final String padToken;
	private final String unkToken;
	private final int bosId;
	private final int eosId;
	private final int padId;
	private final int unkId;
	private final int maxLength;
	private volatile AddedTokens added;
	/** {@link #vocabSize()} as the tokenizer files define it, before any run-time placeholder. */
	private final int filesVocabSize;

	private ClipTokenizer(HuggingFaceTokenizer bpe, ClipTokenizerFiles files, AddedTokens added) {
		this.bpe = bpe;
		this.vocab = Collections.unmodifiableMap(files.vocab());
		Map<Integer, String> byId = new HashMap<>(vocab.size() * 2);
		vocab.forEach((token, id) -> byId.put(id, token));
		this.vocabById = byId;
		this.added = added;
		this.filesVocabSize = unionSize(vocab, added.asMap());
		this.bosToken = files.bos();
		this.eosToken = files.eos();
		this.padToken = files.pad();
		this.unkToken = files.unk();
		this.bosId = added.id(bosToken);
		this.eosId = added.id(eosToken);
		this.padId = added.id(padToken);
		this.unkId = added.id(unkToken);
		this.maxLength = files.modelMaxLength();
	}

	/**
	 * Opens a diffusers {@code tokenizer/} folder. vocab.json and merges.txt are required; tokenizer_config.json
	 * and special_tokens_map.json are optional (CLIP defaults: BOS {@code <|startoftext|>}, EOS/UNK/PAD
	 * {@code <|endoftext|>}, 77 tokens).
	 *
	 * @throws IOException naming the file, when a file is missing, unreadable or malformed
	 */
	public static ClipTokenizer fromFolder(Path tokenizerDir) throws IOException {
		return fromFiles(tokenizerDir.resolve(ClipTokenizerFiles.VOCAB), tokenizerDir.resolve(ClipTokenizerFiles.MERGES),
			tokenizerDir.resolve(ClipTokenizerFiles.CONFIG), tokenizerDir.resolve(ClipTokenizerFiles.SPECIAL_TOKENS_MAP));
	}

	/**
	 * Like {@link #fromFolder} with explicit file paths (e.g. a shared vocabulary with another config).
	 * {@code tokenizerConfig} and {@code specialTokensMap} may be null or name absent files.
	 */
	public static ClipTokenizer fromFiles(Path vocabJson, Path mergesTxt, Path tokenizerConfig, Path specialTokensMap)
		throws IOException {
		ClipTokenizerFiles files = ClipTokenizerFiles.read(vocabJson, mergesTxt, tokenizerConfig, specialTokensMap);
		AddedTokens added = initialAddedTokens(files);
		String unk = files.unk();
		if (!files.vocab().containsKey(unk)) {
			throw new IOException(vocabJson + ": the unknown token '" + unk + "' is not in the vocabulary");
		}
		String json = BpeTokenizerJson.compose(files.vocab(), files.merges(), unk);
		HuggingFaceTokenizer hf;
		io.github.diffusej.engine.Engines.ensureOffline();
		try (InputStream in = new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))) {
			hf = HuggingFaceTokenizer.newInstance(in, HF_OPTIONS);
		} catch (RuntimeException e) {
			throw new IOException("HF tokenizers rejected the BPE built from " + vocabJson + " and " + mergesTxt
				+ ": " + e.getMessage(), e);
		}
		return new ClipTokenizer(hf, files, added);
	}

	/**
	 * transformers' start-up: every entry of added_tokens_decoder (its id wins over vocab.json, as in
	 * {@code _convert_token_to_id_with_added_voc}), then the special tokens (bos, eos, unk, pad) not yet added,
	 * each with its vocabulary id or, if absent from the vocabulary, the next free id.
	 */
	private static AddedTokens initialAddedTokens(ClipTokenizerFiles files) {
		Map<String, Integer> ids = new LinkedHashMap<>();
		files.addedTokens().forEach((id, content) -> ids.put(content, id));
		int size = unionSize(files.vocab(), ids);
		for (String special : List.of(files.bos(), files.eos(), files.unk(), files.pad())) {
			if (special.isEmpty() || ids.containsKey(special)) {
				continue;
			}
			Integer vocabId = files.vocab().get(special);
			int id = vocabId != null ? vocabId : size;
			ids.put(special, id);
			if (vocabId == null) {
				size++;
			}
		}
		return new AddedTokens(ids);
	}

	private static int unionSize(Map<String, Integer> vocab, Map<String, Integer> addedIds) {
		int n = vocab.size();
		for (String s : addedIds.keySet()) {
			if (!vocab.containsKey(s)) {
				n++;
			}
		}
		return n;
	}

	// ---------------------------------------------------------------------------------------------- encoding

	/** {@code tokenizer(text).input_ids}: BOS, all tokens, EOS; no truncation. */
	public long[] encode(String text) {
		long[] body = encodeWithoutSpecialTokens(text);
		long[] ids = new long[body.length + 2];
		ids[0] = bosId;
		System.arraycopy(body, 0, ids, 1, body.length);
		ids[ids.length - 1] = eosId;
		return ids;
	}

	/**
	 * {@code tokenizer(text, padding="max_length", max_length=maxLength, truncation=True).input_ids}: BOS, the
	 * first {@code maxLength - 2} tokens, EOS, then the pad id up to {@code maxLength}.
	 */
	public long[] encode(String text, int maxLength) {
		if (maxLength < 2) {
			throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for BOS and EOS");
		}
		long[] body = encodeWithoutSpecialTokens(text);
		int n = Math.min(body.length, maxLength - 2);
		long[] ids = new long[maxLength];
		Arrays.fill(ids, padId);
		ids[0] = bosId;
		System.arraycopy(body, 0, ids, 1, n);
		ids[n + 1] = eosId;
		return ids;
	}

	/** {@link #encode(String, int)} with {@link #maxLength()} (77 for SD): what the pipeline feeds CLIP. */
	public long[] encode77(String text) {
		return encode(text, maxLength);
	}

	/** Token ids without BOS/EOS and without truncation: the input of A1111-style 75-token chunking. */
	public long[] encodeWithoutSpecialTokens(String text) {
		List<Token> tokens = run(text);
		long[] ids = new long[tokens.size()];
		for (int i = 0; i < ids.length; i++) {
			ids[i] = tokens.get(i).id();
		}
		return ids;
	}

	/**
	 * {@code tokenizer.tokenize(text)}: the pieces, in byte-level spelling with {@code </w>} closing a word; added
	 * tokens appear as themselves. A word that becomes several pieces was split by BPE.
	 */
	public List<String> tokens(String text) {
		List<Token> tokens = run(text);
		List<String> out = new ArrayList<>(tokens.size());
		for (Token t : tokens) {
			out.add(t.text());
		}
		return out;
	}

	private record Token(String text, long id) {}

	private List<Token> run(String text) {
		Objects.requireNonNull(text, "text");
		AddedTokens table = added;
		// slots: a fixed token, or (null text, id = -1 - wordIndex) for a word still to be BPE encoded
		List<Token> slots = new ArrayList<>();
		List<String> words = new ArrayList<>();
		for (AddedTokens.Piece piece : table.split(text)) {
			if (piece.isAddedToken()) {
				slots.add(new Token(piece.text(), piece.id()));
				continue;
			}
			for (String word : ClipTextSplitter.words(piece.text())) {
				if (word.equals(BOS_LITERAL) || word.equals(EOS_LITERAL)) {
					// the slow tokenizer's BPE cache maps these literals (reachable here only via another case,
					// e.g. <|ENDOFTEXT|> lower-cased) to themselves
					slots.add(new Token(word, vocab.getOrDefault(word, unkId)));
				} else {
					slots.add(new Token(null, -1 - words.size()));
					words.add(word);
				}
			}
		}
		if (words.isEmpty()) {
			return slots;
		}
		Encoding enc = bpe.encode(words.toArray(new String[0]), false, false);
		long[] ids = enc.getIds();
		long[] wordIds = enc.getWordIds();
		String[] pieces = enc.getTokens();
		List<Token> out = new ArrayList<>(slots.size() + ids.length);
		int k = 0;
		for (Token slot : slots) {
			if (slot.text() != null) {
				out.add(slot);
				continue;
			}
			int word = (int) (-1 - slot.id());
			int before = out.size();
			while (k < ids.length && wordIds[k] == word) {
				out.add(new Token(pieces[k], ids[k]));
				k++;
			}
			if (out.size() == before) {
				throw new IllegalStateException("BPE produced no piece for word " + word + " '" + words.get(word) + "'");
			}
		}
		if (k != ids.length) {
			throw new IllegalStateException("BPE pieces not aligned with words: " + k + " of " + ids.length + " used");
		}
		return out;
	}

	// ---------------------------------------------------------------------------------------------- vocabulary

	/**
	 * {@code tokenizer.add_tokens(placeholder)}: from now on {@code placeholder} is split out of any text,
	 * case-sensitively and even inside words. Returns its id: the existing id if it is already an added token;
	 * its vocabulary id if it is a plain vocabulary entry (transformers then also splits it out everywhere);
	 * otherwise the next free id ({@link #vocabSize()} before the call). Textual inversion wants a new id: check
	 * {@link #tokenId} first.
	 */
	public synchronized int addToken(String placeholder) {
		if (placeholder == null || placeholder.isEmpty()) {
			throw new IllegalArgumentException("placeholder token must be a non-empty string");
		}
		Integer existing = added.id(placeholder);
		if (existing != null) {
			return existing;
		}
		Integer vocabId = vocab.get(placeholder);
		int id = vocabId != null ? vocabId : vocabSize();
		added = added.with(placeholder, id);
		return id;
	}

	/**
	 * Forgets every added token whose id is {@code firstId} or above (placeholders added at run time; the
	 * tokenizer files' own special tokens are kept). Used to renumber placeholders when an embedding is removed.
	 */
	public synchronized void removeAddedTokensFrom(int firstId) {
		if (firstId < filesVocabSize) throw new IllegalArgumentException("ids below " + filesVocabSize
			+ " belong to the tokenizer files");
		added = added.withoutIdsFrom(firstId);
	}

	/** The id of a single token (added token or vocabulary entry in byte-level spelling), or -1. */
	public int tokenId(String token) {
		Integer id = added.id(token);
		if (id == null) {
			id = vocab.get(token);
		}
		return id == null ? -1 : id;
	}

	/** The token of an id (added token content or byte-level vocabulary entry), or null if unknown. */
	public String token(int id) {
		String s = added.content(id);
		return s != null ? s : vocabById.get(id);
	}

	/** The added tokens (special and placeholders), content to id, in the order they were added. */
	public Map<String, Integer> addedTokens() {
		return added.asMap();
	}

	/** {@code len(tokenizer)}: vocabulary plus added tokens (49408 for CLIP, 49409 after one placeholder). */
	public int vocabSize() {
		return unionSize(vocab, added.asMap());
	}

	public int bosId() {
		return bosId;
	}

	public int eosId() {
		return eosId;
	}

	public int padId() {
		return padId;
	}

	public int unkId() {
		return unkId;
	}

	public String bosToken() {
		return bosToken;
	}

	public String eosToken() {
		return eosToken;
	}

	public String padToken() {
		return padToken;
	}

	/** model_max_length: 77 for SD text encoders. */
	public int maxLength() {
		return maxLength;
	}

	// ---------------------------------------------------------------------------------------------- decoding

	/**
	 * {@code tokenizer.decode(ids, skip_special_tokens=True)}: BOS, EOS, UNK and pad ids are dropped, BPE pieces
	 * turned back into text ({@code </w>} = space), placeholders kept, tokenization spaces cleaned up. For
	 * display; the text need not re-encode to the same ids.
	 */
	public String decode(long[] ids) {
		AddedTokens table = added;
		Set<Integer> special = new HashSet<>(List.of(bosId, eosId, padId, unkId));
		Set<String> specialTokens = new HashSet<>(List.of(bosToken, eosToken, padToken, unkToken));
		List<String> subTexts = new ArrayList<>();
		StringBuilder pieces = new StringBuilder();
		for (long raw : ids) {
			int id = Math.toIntExact(raw);
			if (special.contains(id)) {
				continue;
			}
			String content = table.content(id);
			if (content != null && !specialTokens.contains(content)) {
				if (pieces.length() > 0) {
					subTexts.add(piecesToText(pieces));
					pieces.setLength(0);
				}
				subTexts.add(content);
				continue;
			}
			String piece = content != null ? content : vocabById.get(id);
			if (piece == null) {
				throw new IllegalArgumentException("unknown token id " + id + " (vocabulary size " + vocabSize() + ")");
			}
			pieces.append(piece);
		}
		if (pieces.length() > 0) {
			subTexts.add(piecesToText(pieces));
		}
		return cleanUpTokenizationSpaces(String.join(" ", subTexts));
	}

	/**
	 * A piece of {@link #tokens} as readable text for a "show prompt tokens" diagnostic: the byte-level spelling
	 * turned back into UTF-8 text (a piece holding part of a multi-byte character shows U+FFFD) and the
	 * {@code </w>} word end dropped (test {@code piece.endsWith("</w>")} for it). Added tokens come back unchanged.
	 */
	public static String pieceText(String piece) {
		String body = piece.endsWith("</w>") ? piece.substring(0, piece.length() - 4) : piece;
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length());
		for (int i = 0; i < body.length(); i++) {
			int b = ByteLevelAlphabet.byteOf(body.charAt(i));
			if (b < 0) {
				return piece;
			}
			bytes.write(b);
		}
		return bytes.toString(StandardCharsets.UTF_8);
	}

	private static String piecesToText(CharSequence pieces) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream(pieces.length());
		for (int i = 0; i < pieces.length(); i++) {
			int b = ByteLevelAlphabet.byteOf(pieces.charAt(i));
			if (b >= 0) {
				bytes.write(b);
			}
		}
		return bytes.toString(StandardCharsets.UTF_8).replace("</w>", " ").strip();
	}

	/** transformers' {@code clean_up_tokenization} (clean_up_tokenization_spaces is true for SD tokenizers). */
	private static String cleanUpTokenizationSpaces(String s) {
		return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
			.replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
			.replace(" 're", "'re");
	}

	@Override
	public void close() {
		bpe.close();
	}
}
