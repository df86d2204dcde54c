package io.github.diffusej.tokenize;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * Composes the HF {@code tokenizer.json} that SD folders do not ship, reduced to the part run in Rust: a
 * byte-level pre-tokenizer without regex and a BPE model with CLIP's {@code </w>} end-of-word suffix.
 *
 * <p>Deliberately absent: normalizer, split regex, added tokens, post-processor, padding and truncation. Those
 * are done in Java ({@link ClipTextSplitter}, {@link AddedTokens}, {@link ClipTokenizer}) because they must run
 * in the slow tokenizer's order (added tokens on the raw text first), and keeping added tokens out of the JSON
 * means a placeholder can be added without rebuilding the native tokenizer.
 */
final class BpeTokenizerJson {

	private BpeTokenizerJson() {}

	static String compose(Map<String, Integer> vocab, List<String> merges, String unkToken) {
		JsonObject preTokenizer = new JsonObject();
		preTokenizer.addProperty("type", "ByteLevel");
		preTokenizer.addProperty("add_prefix_space", false);
		preTokenizer.addProperty("trim_offsets", false);
		preTokenizer.addProperty("use_regex", false);

		JsonObject vocabJson = new JsonObject();
		vocab.forEach(vocabJson::addProperty);
		JsonArray mergesJson = new JsonArray(merges.size());
		merges.forEach(mergesJson::add);

		JsonObject model = new JsonObject();
		model.addProperty("type", "BPE");
		model.add("dropout", JsonNull.INSTANCE);
		model.addProperty("unk_token", unkToken);
		model.add("continuing_subword_prefix", JsonNull.INSTANCE);
		model.addProperty("end_of_word_suffix", "</w>");
		model.addProperty("fuse_unk", false);
		model.addProperty("byte_fallback", false);
		model.add("vocab", vocabJson);
		model.add("merges", mergesJson);

		JsonObject root = new JsonObject();
		root.addProperty("version", "1.0");
		root.add("truncation", JsonNull.INSTANCE);
		root.add("padding", JsonNull.INSTANCE);
		root.add("added_tokens", new JsonArray());
		root.add("normalizer", JsonNull.INSTANCE);
		root.add("pre_tokenizer", preTokenizer);
		root.add("post_processor", JsonNull.INSTANCE);
		root.add("decoder", JsonNull.INSTANCE);
		root.add("model", model);
		return root.toString();
	}
}
