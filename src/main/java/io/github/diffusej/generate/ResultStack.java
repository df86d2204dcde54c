package io.github.diffusej.generate;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
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

	/**
	 * Writes the montage of a grid ({@link GridMontage}: images with row and column headers) as a PNG, atomically,
	 * with its row and column labels in text chunks. An
	 * existing file is never replaced: {@code grid.png} taken, the montage becomes {@code grid-2.png}, and so on.
	 * Returns the file written.
	 */
	public static Path saveMontagePng(Grid grid, Path file) throws IOException {
		BufferedImage m = GridMontage.render(grid.images(), grid.rowLabels(), grid.columnLabels());
		Map<String, String> text = Map.of("diffusej:rows", String.join(" | ", grid.rowLabels()),
			"diffusej:columns", String.join(" | ", grid.columnLabels()));
		Path abs = file.toAbsolutePath();
		String name = abs.getFileName().toString();
		int dot = name.lastIndexOf('.');
		String stem = dot > 0 ? name.substring(0, dot) : name, ext = dot > 0 ? name.substring(dot) : "";
		return writeFree(abs.getParent(), stem, ext, p -> PngWithText.writeNew(p, m, text));
	}

	/** Writes {@code stem + ext}, or {@code stem-2 + ext}, {@code stem-3 + ext}, ...: the first name not taken. */
	private static Path writeFree(Path dir, String stem, String ext, PngWriter w) throws IOException {
		for (int k = 1; ; k++) {
			Path p = dir.resolve(k == 1 ? stem + ext : stem + "-" + k + ext);
			try {
				w.write(p);
				return p;
			}
			catch (FileAlreadyExistsException e) {
				if (k >= 100_000) throw new IOException(dir + ": " + stem + ext + " and 100000 numbered copies exist "
					+ "already; choose another output folder", e);
			}
		}
	}

	@FunctionalInterface
	private interface PngWriter {
		void write(Path p) throws IOException;
	}

	/**
	 * Checks, before a model is loaded, that images can be saved into {@code dir}: it is created when missing and
	 * must be a writable folder. Null means the images are not saved. Every face calls this first, so a typo in
	 * the output folder costs seconds, not a model load and a whole generation.
	 *
	 * @throws IllegalArgumentException naming the folder and the problem
	 */
	public static void checkOutputFolder(Path dir) {
		if (dir == null) return;
		Path abs = dir.toAbsolutePath();
		if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IllegalArgumentException(abs + ": exists and is a "
			+ "file, not a folder; choose a folder for the images");
		try {
			Files.createDirectories(abs);
		}
		catch (IOException e) {
			throw new IllegalArgumentException(abs + ": cannot create the output folder (" + e.getMessage() + ")", e);
		}
		if (!Files.isWritable(abs)) throw new IllegalArgumentException(abs + ": the output folder is not writable");
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
	 * atomically, with its settings in PNG text chunks: for saving each image as soon as it is finished. An earlier
	 * image of that name (a rerun into the same folder) is never replaced: the new one is saved as
	 * {@code <prefix>-<index>-<seed>-2.png}, and so on. Returns the file written.
	 */
	public static Path savePng(GeneratedImage g, Path dir, String prefix, int index) throws IOException {
		return savePng(g, dir, prefix, index, false);
	}

	/**
	 * {@link #savePng(GeneratedImage, Path, String, int)}, or with {@code replace} an image of the same name is
	 * replaced (atomically) instead of kept (the CLI's {@code --overwrite}).
	 */
	public static Path savePng(GeneratedImage g, Path dir, String prefix, int index, boolean replace) throws IOException {
		Files.createDirectories(dir);
		Map<String, String> text = new LinkedHashMap<>();
		text.put("parameters", g.parameters());
		g.settings().forEach((k, v) -> text.put("diffusej:" + k, v));
		BufferedImage image = g.toBufferedImage();
		String name = pngName(prefix, index, g.seed());
		if (replace) {
			Path p = dir.resolve(name);
			PngWithText.write(p, image, text);
			return p;
		}
		return writeFree(dir, name.substring(0, name.length() - 4), ".png", p -> PngWithText.writeNew(p, image, text));
	}
}
