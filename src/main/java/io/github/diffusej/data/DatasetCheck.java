package io.github.diffusej.data;

import ij.process.ColorProcessor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Looks at a dataset before training and says what is likely to go wrong: too few images for the method, low
 * variety, captions without the trigger token, images far below the training resolution, unreadable images.
 */
public final class DatasetCheck {

	private DatasetCheck() {}

	/** What the dataset is for. */
	public enum Method {
		/** Textual inversion learns from a handful of images. */
		TEXTUAL_INVERSION(3, 5),
		/** LoRA/DoRA want 20-40 images or more. */
		LORA(10, 20);

		/** Below this, training is unlikely to work. */
		public final int minimum;
		/** Below this, expect over-fitting or weak results. */
		public final int recommended;

		Method(int minimum, int recommended) {
			this.minimum = minimum;
			this.recommended = recommended;
		}

		public static Method parse(String s) {
			String n = s.trim().toLowerCase(java.util.Locale.ROOT);
			if (n.equals("ti") || n.equals("textual-inversion") || n.equals("textual_inversion")) return TEXTUAL_INVERSION;
			if (n.equals("lora") || n.equals("dora")) return LORA;
			return BuildSettings.parseEnum(Method.class, s);
		}
	}

	public enum Severity { INFO, WARNING, ERROR }

	/** One finding; {@code code} is stable for scripts (e.g. {@code TOO_FEW_IMAGES}). */
	public record Finding(Severity severity, String code, String message) {

		@Override
		public String toString() {
			return severity + " " + code + ": " + message;
		}
	}

	/** Near-duplicate distance used for the variety check (of 64 dHash bits). */
	static final int SIMILAR = 6;
	/** Mean pairwise dHash distance below which a dataset counts as low in variety. */
	static final double LOW_VARIETY_MEAN = 12;

	/**
	 * Checks every item (training and validation). Images are opened to read their size and fingerprint.
	 *
	 * @param token the trigger token captions should hold; blank skips that check
	 * @param resolution the training resolution
	 */
	public static List<Finding> check(Dataset ds, Method method, String token, int resolution) {
		List<Finding> out = new ArrayList<>();
		List<DatasetItem> items = ds.all();
		int n = ds.items().size();
		if (n < method.minimum) {
			out.add(new Finding(Severity.ERROR, "TOO_FEW_IMAGES", n + " training images; " + name(method) + " needs at least "
				+ method.minimum + " (" + method.recommended + "+ recommended)"));
		}
		else if (n < method.recommended) {
			out.add(new Finding(Severity.WARNING, "TOO_FEW_IMAGES", n + " training images; " + name(method) + " works best with "
				+ method.recommended + " or more" + (method == Method.LORA ? " (20-40 is typical)" : "")));
		}
		List<Long> hashes = new ArrayList<>();
		Map<String, Integer> sizes = new HashMap<>();
		int small = 0;
		List<String> unreadable = new ArrayList<>();
		for (DatasetItem it : items) {
			ColorProcessor cp;
			try {
				cp = DatasetStack.readRgb(it.image());
			}
			catch (IOException e) {
				unreadable.add(it.image().getFileName().toString());
				continue;
			}
			sizes.merge(cp.getWidth() + "x" + cp.getHeight(), 1, Integer::sum);
			if (Math.min(cp.getWidth(), cp.getHeight()) < resolution / 2) small++;
			hashes.add(DuplicateFinder.dhash(cp));
		}
		if (!unreadable.isEmpty()) {
			out.add(new Finding(Severity.ERROR, "UNREADABLE_IMAGES", unreadable.size() + " images cannot be read: "
				+ first(unreadable)));
		}
		if (small > 0) {
			out.add(new Finding(Severity.WARNING, "SMALL_IMAGES", small + " images have a shortest side below "
				+ resolution / 2 + " px, half the training resolution " + resolution + "; they will be blurry when scaled up"));
		}
		if (ds.manifest() != null) {
			// the sizes of the sources before they were scaled: small ones give blurry, enlarged items
			List<String> tiny = new ArrayList<>();
			for (DatasetManifest.Source src : ds.manifest().sources())
				if (Math.min(src.width(), src.height()) * 2 <= resolution) tiny.add((src.file() != null ? Path.of(src.file())
					.getFileName().toString() : src.title()) + " (" + src.width() + "x" + src.height() + ")");
			if (!tiny.isEmpty()) out.add(new Finding(Severity.WARNING, "SMALL_SOURCES", tiny.size() + " of " +
				ds.manifest().sources().size() + " source images are at most half the training resolution " + resolution
				+ " px on their shortest side, so their items were enlarged and are blurry: " + first(tiny)));
		}
		if (sizes.size() > 1) {
			out.add(new Finding(Severity.INFO, "MIXED_SIZES", "image sizes differ: " + sizes
				+ "; they are scaled and cropped to " + resolution + " at training"));
		}
		if (hashes.size() >= 2) {
			long pairs = 0;
			long similar = 0;
			double sum = 0;
			for (int i = 0; i < hashes.size(); i++) {
				for (int j = i + 1; j < hashes.size(); j++) {
					int d = Long.bitCount(hashes.get(i) ^ hashes.get(j));
					sum += d;
					pairs++;
					if (d <= SIMILAR) similar++;
				}
			}
			double mean = sum / pairs;
			if (mean < LOW_VARIETY_MEAN || similar * 4 > pairs) {
				out.add(new Finding(Severity.WARNING, "LOW_VARIETY", String.format(java.util.Locale.ROOT,
					"images look alike (mean perceptual distance %.1f of 64, %d of %d pairs near-identical); "
						+ "the model may learn one picture rather than a concept", mean, similar, pairs)));
			}
		}
		if (token != null && !token.isBlank()) {
			List<String> missing = new ArrayList<>();
			for (DatasetItem it : items) if (!it.caption().contains(token)) missing.add(it.image().getFileName().toString());
			if (!missing.isEmpty()) {
				out.add(new Finding(Severity.WARNING, "MISSING_TOKEN", missing.size() + " of " + items.size()
					+ " captions lack the trigger token '" + token + "': " + first(missing)));
			}
		}
		List<String> empty = new ArrayList<>();
		for (DatasetItem it : items) if (it.caption().isBlank()) empty.add(it.image().getFileName().toString());
		if (!empty.isEmpty()) {
			out.add(new Finding(Severity.WARNING, "EMPTY_CAPTIONS", empty.size() + " captions are empty: " + first(empty)));
		}
		return out;
	}

	/** Findings as lines, or a line saying all is well. */
	public static String format(List<Finding> findings) {
		if (findings.isEmpty()) return "Dataset check: no problems found";
		StringBuilder sb = new StringBuilder("Dataset check:");
		for (Finding f : findings) sb.append("\n  ").append(f);
		return sb.toString();
	}

	private static String name(Method m) {
		return m == Method.LORA ? "LoRA" : "textual inversion";
	}

	private static String first(List<String> names) {
		return names.size() <= 5 ? String.join(", ", names) : String.join(", ", names.subList(0, 5)) + ", ...";
	}
}
