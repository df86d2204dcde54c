package io.github.diffusej.generate;

import io.github.diffusej.model.Embedding;
import io.github.diffusej.tokenize.ClipTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a prompt is tokenized for a model: what users look at when a trigger word does not fire. Counts tokens
 * against the 75-token window, lists the words that split into several pieces and which placeholder tokens of
 * the loaded embeddings were recognised, and flags look-alikes (e.g. {@code <MY-CELL>} for {@code <my-cell>}).
 */
public record PromptTokens(String prompt, List<Word> words, int tokenCount, int window, int windows,
	List<String> recognisedPlaceholders, List<String> warnings)
{

	/** One word of the prompt and the BPE pieces it became (one piece for an added token). */
	public record Word(String text, List<String> pieces, boolean placeholder) {

		public boolean split() {
			return pieces.size() > 1;
		}
	}

	private static final Pattern ANGLE_TOKEN = Pattern.compile("<[^<>\\s]+>");

	/** Analyses {@code prompt}; {@code embeddings} are the loaded ones (their tokens must already be added). */
	public static PromptTokens analyse(ClipTokenizer tok, String prompt, List<Embedding> embeddings) {
		Set<String> placeholders = new LinkedHashSet<>();
		for (Embedding e : embeddings) placeholders.addAll(e.tokens());
		String expanded = prompt;
		for (Embedding e : embeddings) expanded = e.expand(expanded);
		List<Word> words = new ArrayList<>();
		List<String> current = new ArrayList<>();
		StringBuilder text = new StringBuilder();
		Set<String> recognised = new LinkedHashSet<>();
		for (String piece : tok.tokens(expanded)) {
			if (placeholders.contains(piece) || tok.addedTokens().containsKey(piece)) {
				if (!current.isEmpty()) words.add(new Word(text.toString(), List.copyOf(current), false));
				current.clear();
				text.setLength(0);
				words.add(new Word(piece, List.of(piece), true));
				if (placeholders.contains(piece)) recognised.add(piece);
				continue;
			}
			current.add(piece);
			text.append(ClipTokenizer.pieceText(piece));
			if (piece.endsWith("</w>")) {
				words.add(new Word(text.toString().strip(), List.copyOf(current), false));
				current.clear();
				text.setLength(0);
			}
		}
		if (!current.isEmpty()) words.add(new Word(text.toString(), List.copyOf(current), false));
		int count = PromptChunks.count(tok, expanded);
		int window = PromptChunks.window(tok);
		List<String> warnings = new ArrayList<>();
		if (count > window) warnings.add(count + " tokens exceed the " + window + "-token window: " +
			"chunked into " + (count + window - 1) / window + " windows (or " + (count - window) +
			" tokens dropped when truncating)");
		Matcher m = ANGLE_TOKEN.matcher(prompt);
		while (m.find()) {
			String t = m.group();
			if (placeholders.contains(t)) continue;
			String near = placeholders.stream().filter(p -> p.equalsIgnoreCase(t)).findFirst().orElse(null);
			warnings.add(near != null ? "'" + t + "' is not the trigger '" + near + "': triggers are case sensitive"
				: "'" + t + "' looks like a trigger word but no loaded embedding defines it; it is split into pieces");
		}
		if (prompt.indexOf('!') >= 0 && tok.tokenId("!") >= 0 && tok.tokenId("!") == tok.padId())
			warnings.add("this model's tokenizer uses '!' as its padding token (as SD 2.x tokenizers do): every '!' "
				+ "in the prompt becomes the pad id " + tok.padId() + ", not the word '!', exactly as in diffusers, so "
				+ "the text encoder reads it as padding; leave it out or write the words instead");
		for (String p : placeholders)
			if (!recognised.contains(p) && !p.matches(".*_\\d+")) warnings.add("embedding token '" + p + "' does not occur in the prompt");
		return new PromptTokens(prompt, List.copyOf(words), count, window, Math.max(1, (count + window - 1) / window),
			List.copyOf(recognised), List.copyOf(warnings));
	}

	private static String readable(List<String> pieces) {
		return String.join("|", pieces.stream().map(p -> ClipTokenizer.pieceText(p).strip()).toList());
	}

	/** A plain-text report, the same in the CLI and in Fiji's log window. */
	public String report() {
		StringBuilder sb = new StringBuilder();
		sb.append("Prompt: ").append(prompt).append('\n');
		sb.append("Tokens: ").append(tokenCount).append(" of ").append(window).append(" per window (")
			.append(windows).append(windows == 1 ? " window" : " windows").append(")\n");
		sb.append("Pieces:");
		for (Word w : words) sb.append(' ').append(w.placeholder() ? "[" + w.text() + "]" : readable(w.pieces()));
		sb.append('\n');
		List<Word> split = words.stream().filter(w -> !w.placeholder() && w.split()).toList();
		if (!split.isEmpty()) {
			sb.append("Words split into several tokens:\n");
			for (Word w : split) sb.append("  ").append(w.text()).append(" -> ").append(w.pieces().size())
				.append(" tokens: ").append(readable(w.pieces())).append('\n');
		}
		sb.append("Recognised trigger tokens: ").append(recognisedPlaceholders.isEmpty() ? "none" :
			String.join(", ", recognisedPlaceholders)).append('\n');
		for (String w : warnings) sb.append("WARNING: ").append(w).append('\n');
		return sb.toString();
	}
}
