package io.github.diffusej.tokenize;

/**
 * GPT-2/CLIP byte-to-unicode table ({@code bytes_to_unicode} in transformers' tokenization_clip.py): printable
 * Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards, so every byte string is a visible
 * string that BPE can merge.
 */
public final class ByteLevelAlphabet {

	private static final char[] BYTE_TO_CHAR = new char[256];
	private static final int[] CHAR_TO_BYTE = new int[512];

	static {
		java.util.Arrays.fill(CHAR_TO_BYTE, -1);
		int next = 0;
		for (int b = 0; b < 256; b++) {
			boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
			char c = printable ? (char) b : (char) (256 + next++);
			BYTE_TO_CHAR[b] = c;
			CHAR_TO_BYTE[c] = b;
		}
	}

	private ByteLevelAlphabet() {}

	/** The byte-level spelling of {@code utf8}. */
	public static String encode(byte[] utf8) {
		StringBuilder sb = new StringBuilder(utf8.length);
		for (byte b : utf8) {
			sb.append(BYTE_TO_CHAR[b & 0xFF]);
		}
		return sb.toString();
	}

	/** The byte a byte-level character stands for, or -1 if {@code c} is not in the alphabet. */
	static int byteOf(char c) {
		return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
	}
}
