package io.github.diffusej.train.data;

import io.github.diffusej.Rng;
import io.github.diffusej.data.DatasetException;
import io.github.diffusej.data.DatasetItem;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes the caption of a dataset item for one training step under {@link CaptionRules}. The steps, in order (each
 * random choice from the {@link Rng} passed, nothing drawn for a step that is off):
 * <ol>
 * <li>caption dropout: with probability {@code captionDropout} the caption is empty (one draw; kohya draws it
 * first too), and nothing else is drawn;</li>
 * <li>templates: one chosen uniformly (one draw), its {@code {}} replaced by the placeholder; with
 * {@code keepDatasetCaptions} the dataset caption follows after a space;</li>
 * <li>placeholder insertion, for dataset captions: a caption that already contains the placeholder is kept; else
 * whole-word occurrences of {@code replaceWord} (any case; a word joined to letters, digits, {@code _}, {@code -},
 * {@code <} or {@code >} is not whole, so {@code cells}, {@code cell-like} and {@code <my-cell>} are left alone)
 * all become the placeholder (kohya's textual-inversion replacement, but of whole words only); else the
 * placeholder is put first as a tag of its own ({@code "<my-cell>, caption"}), where {@code keepTokens = 1} keeps
 * it;</li>
 * <li>tags (only when {@code shuffleTags} or {@code tagDropout > 0}, as kohya's {@code process_caption}): split at
 * the separator, stripped, empty tags removed; the first {@code keepTokens} stay; the rest are shuffled
 * (Fisher-Yates) and then each dropped with probability {@code tagDropout} (one draw per tag, in the shuffled
 * order; a tag holding the placeholder is never dropped); joined with separator and space.</li>
 * </ol>
 */
public final class CaptionMaker {

	private final CaptionRules rules;
	private final Pattern word;

	public CaptionMaker(CaptionRules rules) {
		this.rules = rules;
		this.word = rules.replaceWord() == null ? null : Pattern.compile("(?<![\\p{L}\\p{N}_<>\\-])"
			+ Pattern.quote(rules.replaceWord()) + "(?![\\p{L}\\p{N}_<>\\-])", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
	}

	public CaptionRules rules() {
		return rules;
	}

	/**
	 * The caption of {@code item} for one step.
	 *
	 * @throws DatasetException naming the image when the rules need the dataset's caption and it is empty (and caption
	 *     dropout did not make this step's caption empty anyway)
	 */
	public String caption(DatasetItem item, Rng rng) throws DatasetException {
		if (rules.captionDropout() > 0 && rng.nextBoolean(rules.captionDropout())) return "";
		String text;
		if (!rules.templates().isEmpty()) {
			List<String> t = rules.templates();
			text = t.get(rng.nextInt(t.size())).replace("{}", rules.placeholder());
			if (rules.keepDatasetCaptions() && !item.caption().isBlank()) text = text + " " + item.caption().strip();
		}
		else {
			String c = item.caption().strip();
			if (c.isEmpty()) throw emptyCaption(item);
			text = insertPlaceholder(c);
		}
		if (rules.shuffleTags() || rules.tagDropout() > 0) text = processTags(text, rng);
		return text;
	}

	/**
	 * Checks before training that every item can be captioned under these rules, so that a run does not stop at
	 * step 1000 on an empty caption.
	 *
	 * @throws DatasetException naming the images (up to 10) whose captions are empty
	 */
	public void check(List<DatasetItem> items) throws DatasetException {
		if (!rules.templates().isEmpty()) return;
		List<String> bad = new ArrayList<>();
		int n = 0;
		for (DatasetItem it : items) {
			if (it.caption().isBlank()) {
				n++;
				if (bad.size() < 10) bad.add(it.image().toString());
			}
		}
		if (n > 0) throw new DatasetException(n + " image(s) have empty captions and no caption templates are set: "
			+ String.join(", ", bad) + (n > bad.size() ? ", ..." : "") + "; write their captions or train with the "
			+ "object/style templates");
	}

	/** Step 3 of the class comment (no randomness). */
	String insertPlaceholder(String caption) {
		String p = rules.placeholder();
		if (p == null || caption.contains(p)) return caption;
		if (word != null) {
			Matcher m = word.matcher(caption);
			if (m.find()) return m.replaceAll(Matcher.quoteReplacement(p));
		}
		return p + rules.separator() + " " + caption;
	}

	private String processTags(String text, Rng rng) {
		String sep = rules.separator();
		List<String> tags = new ArrayList<>();
		for (String t : text.split(Pattern.quote(sep), -1)) {
			String s = t.strip();
			if (!s.isEmpty()) tags.add(s);
		}
		int keep = Math.min(rules.keepTokens(), tags.size());
		List<String> out = new ArrayList<>(tags.subList(0, keep));
		List<String> flex = tags.subList(keep, tags.size());
		int[] order = new int[flex.size()];
		for (int i = 0; i < order.length; i++) order[i] = i;
		if (rules.shuffleTags()) rng.shuffle(order);
		String p = rules.placeholder();
		for (int i : order) {
			String tag = flex.get(i);
			if (rules.tagDropout() > 0) {
				boolean drop = rng.nextBoolean(rules.tagDropout());
				if (drop && (p == null || !tag.contains(p))) continue;
			}
			out.add(tag);
		}
		return String.join(sep + " ", out);
	}

	private static DatasetException emptyCaption(DatasetItem item) {
		return new DatasetException(item.image() + ": the caption is empty and no caption templates are set; write a "
			+ "caption for this image or train with the object/style templates");
	}
}
