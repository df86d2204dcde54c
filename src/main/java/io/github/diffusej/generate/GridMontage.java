package io.github.diffusej.generate;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A comparison grid as one image with readable headers: the column labels (whole prompts, or "lora @ 0.5") wrapped
 * over up to {@value #MAX_HEADER_LINES} lines above the columns, the row labels ("seed 42") left of the rows. Drawn
 * with Java2D, so the Fiji montage and the command line's grid PNG are the same picture. Small images (tiny models,
 * thumbnails) are enlarged by a whole factor, without smoothing, so that a cell is at least {@value #MIN_CELL} px
 * wide and its header fits.
 */
public final class GridMontage {

	/** Header lines per column before the label is cut with an ellipsis. */
	static final int MAX_HEADER_LINES = 6;
	/** Cells narrower than this are enlarged. */
	static final int MIN_CELL = 128;
	private static final int GAP = 4;
	private static final int PAD = 6;
	private static final Color BACKGROUND = Color.WHITE;
	private static final Color TEXT = new Color(0x22, 0x22, 0x22);

	private GridMontage() {}

	/**
	 * @param cells row-major images of one size ({@code rowLabels.size() x columnLabels.size()} of them)
	 */
	public static BufferedImage render(List<GeneratedImage> cells, List<String> rowLabels, List<String> columnLabels) {
		int rows = rowLabels.size(), cols = columnLabels.size();
		if (rows * cols != cells.size() || cells.isEmpty()) throw new IllegalArgumentException(cells.size() +
			" images for a grid of " + rows + " x " + cols);
		int w = cells.get(0).width(), h = cells.get(0).height();
		int scale = w < MIN_CELL ? (MIN_CELL + w - 1) / w : 1;
		int cw = w * scale, ch = h * scale;
		Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(12, Math.min(20, cw / 16)));
		// A scratch graphics for measuring: the header size depends on the wrapped labels.
		BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
		Graphics2D pg = probe.createGraphics();
		pg.setFont(font);
		FontMetrics fm = pg.getFontMetrics();
		int textWidth = cw - 2 * PAD;
		// Prompts that differ only in their middle would all be cut to the same first words: then the shared words
		// go once into a title line over the grid and the columns show what differs.
		List<String> shown = columnLabels;
		String title = null;
		if (cols > 1 && columnLabels.stream().anyMatch(l -> !fits(l, fm, textWidth, MAX_HEADER_LINES))) {
			List<String> parts = commonParts(columnLabels);
			if (parts != null) {
				title = parts.get(0);
				shown = parts.subList(1, parts.size());
			}
		}
		int width = rowHeaderWidth(rowLabels, fm) + cols * cw + (cols + 1) * GAP;
		List<String> titleLines = title == null ? List.of() : wrap(title, fm, width - 2 * PAD, 2);
		List<List<String>> headers = new ArrayList<>();
		int lines = 1;
		for (String label : shown) {
			List<String> wrapped = wrap(label, fm, textWidth, MAX_HEADER_LINES);
			headers.add(wrapped);
			lines = Math.max(lines, wrapped.size());
		}
		int rowHeader = rowHeaderWidth(rowLabels, fm);
		pg.dispose();
		int lineHeight = fm.getHeight();
		int titleHeight = titleLines.isEmpty() ? 0 : titleLines.size() * lineHeight + PAD;
		int header = titleHeight + lines * lineHeight + 2 * PAD;
		int height = header + rows * ch + (rows + 1) * GAP;
		BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = out.createGraphics();
		try {
			g.setColor(BACKGROUND);
			g.fillRect(0, 0, width, height);
			g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
			g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
			g.setFont(font);
			g.setColor(TEXT);
			int ty = PAD + fm.getAscent();
			for (String line : titleLines) {
				g.drawString(line, rowHeader + (width - rowHeader - fm.stringWidth(line)) / 2, ty);
				ty += lineHeight;
			}
			for (int c = 0; c < cols; c++) {
				int x0 = rowHeader + GAP + c * (cw + GAP);
				List<String> text = headers.get(c);
				// bottom-aligned, so every label sits right above its column
				int y = header - PAD - (text.size() - 1) * lineHeight - fm.getDescent();
				for (String line : text) {
					g.drawString(line, x0 + (cw - fm.stringWidth(line)) / 2, y);
					y += lineHeight;
				}
			}
			for (int r = 0; r < rows; r++) {
				int y0 = header + GAP + r * (ch + GAP);
				String label = rowLabels.get(r);
				g.drawString(label, rowHeader - PAD - fm.stringWidth(label), y0 + (ch + fm.getAscent()) / 2);
				for (int c = 0; c < cols; c++) {
					int x0 = rowHeader + GAP + c * (cw + GAP);
					g.drawImage(cells.get(r * cols + c).toBufferedImage(), x0, y0, cw, ch, null);
				}
			}
		}
		finally {
			g.dispose();
		}
		return out;
	}

	private static int rowHeaderWidth(List<String> rowLabels, FontMetrics fm) {
		int w = 0;
		for (String label : rowLabels) w = Math.max(w, fm.stringWidth(label));
		return w + 2 * PAD;
	}

	private static boolean fits(String text, FontMetrics fm, int width, int maxLines) {
		List<String> lines = wrap(text, fm, width, maxLines);
		return !lines.get(lines.size() - 1).endsWith("…") || text.strip().endsWith("…");
	}

	/**
	 * Splits labels that share leading or trailing words: {title, middle of label 0, middle of label 1, ...}, the
	 * title being the shared words with "…" where each label's own words go. Null when the labels share nothing or
	 * a label would keep no words of its own.
	 */
	static List<String> commonParts(List<String> labels) {
		List<String[]> words = labels.stream().map(l -> l.strip().split("\\s+")).toList();
		int min = words.stream().mapToInt(w -> w.length).min().orElse(0);
		int pre = 0;
		while (pre < min && sameWordAt(words, pre, false)) pre++;
		int suf = 0;
		while (suf < min - pre && sameWordAt(words, suf, true)) suf++;
		if (pre == 0 && suf == 0) return null;
		List<String> out = new ArrayList<>();
		String[] w0 = words.get(0);
		String head = String.join(" ", java.util.Arrays.copyOfRange(w0, 0, pre));
		String tail = String.join(" ", java.util.Arrays.copyOfRange(w0, w0.length - suf, w0.length));
		out.add((head + " … " + tail).strip());
		for (String[] w : words) {
			if (w.length - pre - suf <= 0) return null;
			out.add(String.join(" ", java.util.Arrays.copyOfRange(w, pre, w.length - suf)));
		}
		return out;
	}

	/** Whether all labels have the same word at {@code i} (counted from the end when {@code fromEnd}). */
	private static boolean sameWordAt(List<String[]> words, int i, boolean fromEnd) {
		String first = null;
		for (String[] w : words) {
			String x = w[fromEnd ? w.length - 1 - i : i];
			if (first == null) first = x;
			else if (!first.equals(x)) return false;
		}
		return true;
	}

	/**
	 * Splits text into lines no wider than {@code width} at spaces (a word wider than a line is cut), at most
	 * {@code maxLines}; text that does not fit ends in an ellipsis.
	 */
	static List<String> wrap(String text, FontMetrics fm, int width, int maxLines) {
		if (text == null || text.isBlank()) return List.of("");
		List<String> lines = new ArrayList<>();
		StringBuilder line = new StringBuilder();
		String[] words = text.strip().split("\\s+");
		int i = 0;
		while (i < words.length && lines.size() < maxLines) {
			String word = words[i];
			String candidate = line.length() == 0 ? word : line + " " + word;
			if (fm.stringWidth(candidate) <= width) {
				line.setLength(0);
				line.append(candidate);
				i++;
			}
			else if (line.length() == 0) {
				// one word wider than the line: cut it where it stops fitting
				int n = word.length();
				while (n > 1 && fm.stringWidth(word.substring(0, n)) > width) n--;
				lines.add(word.substring(0, n));
				words[i] = word.substring(n);
			}
			else {
				lines.add(line.toString());
				line.setLength(0);
			}
		}
		if (line.length() > 0) lines.add(line.toString()); // a full line is only ever added when the next word came
		if (i < words.length) {
			// more text than lines: the last line ends in an ellipsis that still fits
			String last = lines.isEmpty() ? "" : lines.remove(lines.size() - 1);
			while (!last.isEmpty() && fm.stringWidth(last + "…") > width) last = last.substring(0, last.length() - 1);
			lines.add(last.stripTrailing() + "…");
		}
		return lines;
	}
}
