package io.github.diffusej.generate;

import io.github.diffusej.tokenize.ClipTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a prompt into the token windows the text encoder sees.
 *
 * <p>Long prompts are handled as A1111 and InvokeAI users know it: the tokens (without BOS/EOS) are cut into
 * windows of 75, each window is wrapped as BOS + 75 tokens + EOS/padding = 77, encoded separately, and the
 * encodings are concatenated along the sequence. A prompt of at most 75 tokens gives exactly diffusers' single
 * 77-token window. {@link LongPrompts#TRUNCATE} instead keeps the first 75 tokens, as diffusers does, and reports
 * the cut.
 */
public final class PromptChunks {

	/** How prompts over 75 tokens are handled. */
	public enum LongPrompts {
		/** 75-token windows encoded separately and concatenated (A1111/Invoke behaviour). */
		CHUNK,
		/** Keep the first 75 tokens (diffusers behaviour); the rest is dropped with a warning. */
		TRUNCATE
	}

	private PromptChunks() {}

	/** Tokens a window holds besides BOS and EOS. */
	public static int window(ClipTokenizer tok) {
		return tok.maxLength() - 2;
	}

	/** Number of tokens of a prompt, not counting BOS/EOS. */
	public static int count(ClipTokenizer tok, String prompt) {
		return tok.encodeWithoutSpecialTokens(prompt).length;
	}

	/**
	 * The 77-token windows of a prompt, at least {@code minWindows} of them (the negative prompt is padded to the
	 * positive prompt's window count so that both encodings have the same length).
	 */
	public static List<long[]> windows(ClipTokenizer tok, String prompt, LongPrompts mode, int minWindows) {
		long[] ids = tok.encodeWithoutSpecialTokens(prompt);
		int w = window(tok);
		int n = mode == LongPrompts.TRUNCATE ? 1 : Math.max(1, (ids.length + w - 1) / w);
		n = Math.max(n, minWindows);
		List<long[]> out = new ArrayList<>(n);
		for (int c = 0; c < n; c++) {
			long[] win = new long[tok.maxLength()];
			Arrays.fill(win, tok.padId());
			win[0] = tok.bosId();
			int from = c * w, len = Math.max(0, Math.min(w, ids.length - from));
			if (mode == LongPrompts.TRUNCATE && c > 0) len = 0;
			System.arraycopy(ids, Math.min(from, ids.length), win, 1, len);
			win[1 + len] = tok.eosId();
			out.add(win);
		}
		return out;
	}

	/** How many tokens TRUNCATE drops from a prompt (0 when it fits one window). */
	public static int dropped(ClipTokenizer tok, String prompt) {
		return Math.max(0, count(tok, prompt) - window(tok));
	}
}
