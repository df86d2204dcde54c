package io.github.diffusej.generate;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generated images as an ImageJ stack: one RGB slice per image, slice labels with seed and prompt, and the full
 * settings of every slice in the image info (Image > Show Info), so any slice can be regenerated.
 */
public final class ResultStack {

	private ResultStack() {}

	public static ImagePlus toImagePlus(String title, List<GeneratedImage> images) {
		if (images.isEmpty()) throw new IllegalArgumentException("no images to show");
		int w = images.get(0).width(), h = images.get(0).height();
		ImageStack stack = new ImageStack(w, h);
		StringBuilder info = new StringBuilder("DiffuseJ generated images\n");
		for (int i = 0; i < images.size(); i++) {
			GeneratedImage g = images.get(i);
			if (g.width() != w || g.height() != h) throw new IllegalArgumentException("images differ in size");
			stack.addSlice(g.label(), new ColorProcessor(w, h, g.rgb().clone()));
			info.append("\n[slice ").append(i + 1).append("]\n").append(g.parameters()).append('\n');
			for (Map.Entry<String, String> e : g.settings().entrySet())
				info.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
		}
		ImagePlus imp = new ImagePlus(title, stack);
		imp.setProperty("Info", info.toString());
		return imp;
	}

	/** A label for a slice: seed and (shortened) prompt. */
	public static String label(long seed, String prompt) {
		String p = prompt.length() > 60 ? prompt.substring(0, 57) + "..." : prompt;
		return "seed " + seed + ": " + p;
	}

	/**
	 * The montage of a grid as an RGB image with readable row and column headers ({@link GridMontage}); the image
	 * info holds every cell's settings.
	 */
	public static ImagePlus montage(Grid grid, String title) {
		ImagePlus m = new ImagePlus(title, new ColorProcessor(GridMontage.render(grid.images(), grid.rowLabels(),
			grid.columnLabels())));
		m.setProperty("Info", toImagePlus(title, grid.images()).getProperty("Info"));
		return m;
	}

	/** Writes the montage of a grid ({@link GridMontage}) as a PNG, atomically, with its row and column labels. */
	public static Path saveMontagePng(Grid grid, Path file) throws IOException {
		PngWithText.write(file, GridMontage.render(grid.images(), grid.rowLabels(), grid.columnLabels()), Map.of(
			"diffusej:rows", String.join(" | ", grid.rowLabels()), "diffusej:columns", String.join(" | ",
				grid.columnLabels())));
		return file;
	}

	/**
	 * Saves each image as {@code <prefix>-<index>-<seed>.png} with its settings in PNG text chunks; returns the
	 * paths. Files are written atomically.
	 */
	public static List<Path> savePngs(List<GeneratedImage> images, Path dir, String prefix) throws IOException {
		Files.createDirectories(dir);
		List<Path> out = new java.util.ArrayList<>();
		for (int i = 0; i < images.size(); i++) out.add(savePng(images.get(i), dir, prefix, i));
		return out;
	}

	/** The file name {@link #savePng} gives image {@code index} with {@code seed}: {@code <prefix>-0003-42.png}. */
	public static String pngName(String prefix, int index, long seed) {
		return String.format(java.util.Locale.ROOT, "%s-%04d-%d.png", prefix, index, seed);
	}

	/**
	 * Saves one image as {@code <prefix>-<index>-<seed>.png} (as {@link #savePngs} names image {@code index}),
	 * atomically, with its settings in PNG text chunks: for saving each image as soon as it is finished.
	 */
	public static Path savePng(GeneratedImage g, Path dir, String prefix, int index) throws IOException {
		Files.createDirectories(dir);
		Path p = dir.resolve(pngName(prefix, index, g.seed()));
		Map<String, String> text = new LinkedHashMap<>();
		text.put("parameters", g.parameters());
		g.settings().forEach((k, v) -> text.put("diffusej:" + k, v));
		PngWithText.write(p, g.toBufferedImage(), text);
		return p;
	}
}
