package io.github.diffusej.data;

import io.github.diffusej.ProgressListener;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.Opener;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/**
 * A dataset as an ImageJ stack: one RGB slice per item (training items, then validation items), the caption as
 * the slice label. Captions edited in the stack (Image>Stacks>Set Label, or a macro) are saved back with
 * {@link #saveCaptions(ImagePlus)}.
 */
public final class DatasetStack {

	/** Image property holding the dataset location. */
	public static final String PROP_DATASET = "DiffuseJ.Dataset";
	/** Image property holding the item image paths, one per line, in slice order. */
	public static final String PROP_ITEMS = "DiffuseJ.Items";

	private DatasetStack() {}

	/**
	 * Opens every item. Images whose size differs from the most common size are scaled to fit it and centred on
	 * black (the files themselves are not changed).
	 */
	public static ImagePlus open(Dataset ds, ProgressListener listener) throws IOException {
		ProgressListener l = listener == null ? ProgressListener.NONE : listener;
		List<DatasetItem> items = ds.all();
		List<ColorProcessor> images = new ArrayList<>();
		Map<String, Integer> sizes = new HashMap<>();
		for (int i = 0; i < items.size(); i++) {
			if (l.isCancelled()) throw new java.util.concurrent.CancellationException("Opening the dataset was cancelled");
			l.progress(i, items.size(), "Reading " + items.get(i).image().getFileName());
			ColorProcessor cp = readRgb(items.get(i).image());
			images.add(cp);
			sizes.merge(cp.getWidth() + "x" + cp.getHeight(), 1, Integer::sum);
		}
		String common = sizes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
		int w = Integer.parseInt(common.substring(0, common.indexOf('x')));
		int h = Integer.parseInt(common.substring(common.indexOf('x') + 1));
		ImageStack stack = new ImageStack(w, h);
		StringBuilder paths = new StringBuilder();
		for (int i = 0; i < items.size(); i++) {
			stack.addSlice(items.get(i).caption(), fit(images.get(i), w, h));
			paths.append(items.get(i).image()).append('\n');
		}
		Path loc = ds.location();
		ImagePlus imp = new ImagePlus(loc.getFileName() + " (dataset)", stack);
		imp.setProp(PROP_DATASET, loc.toString());
		imp.setProp(PROP_ITEMS, paths.toString());
		l.progress(items.size(), items.size(), "Opened " + items.size() + " items of " + loc);
		return imp;
	}

	/**
	 * Writes the slice labels of a stack made by {@link #open} back to its dataset as captions.
	 *
	 * @throws DatasetException when the image is not a dataset stack or its slices no longer match the items
	 */
	public static Dataset saveCaptions(ImagePlus imp) throws IOException {
		String loc = imp.getProp(PROP_DATASET);
		String paths = imp.getProp(PROP_ITEMS);
		if (loc == null || loc.isBlank() || paths == null) {
			throw new DatasetException("'" + imp.getTitle() + "' was not opened with Open Dataset as Stack: it has no "
				+ PROP_DATASET + " property; build a new dataset from it instead (caption source: slice labels)");
		}
		Dataset ds = DatasetReader.read(Path.of(loc));
		List<DatasetItem> items = ds.all();
		String[] recorded = paths.split("\n");
		if (imp.getStackSize() != items.size() || recorded.length != items.size()) {
			throw new DatasetException("'" + imp.getTitle() + "' has " + imp.getStackSize() + " slices but dataset " + loc
				+ " has " + items.size() + " items; slices were added or deleted, so captions cannot be matched. "
				+ "Reopen the dataset, or build a new dataset from this stack.");
		}
		for (int i = 0; i < items.size(); i++) {
			if (!items.get(i).image().toString().equals(recorded[i])) {
				throw new DatasetException("slice " + (i + 1) + " of '" + imp.getTitle() + "' was " + recorded[i]
					+ " but the dataset now lists " + items.get(i).image() + " there; reopen the dataset");
			}
		}
		List<String> captions = new ArrayList<>();
		for (int i = 1; i <= imp.getStackSize(); i++) {
			String label = imp.getStack().getSliceLabel(i);
			captions.add(label == null ? "" : CaptionTemplate.firstLine(label));
		}
		return DatasetWriter.saveCaptions(ds, captions);
	}

	/** Reads an image file as RGB (Java ImageIO, then ImageJ's opener for what ImageIO cannot read). */
	public static ColorProcessor readRgb(Path file) throws IOException {
		BufferedImage bi = null;
		try {
			bi = ImageIO.read(file.toFile());
		}
		catch (IOException | RuntimeException e) {
			bi = null;
		}
		if (bi != null) {
			int w = bi.getWidth();
			int h = bi.getHeight();
			int[] px = bi.getRGB(0, 0, w, h, null, 0, w);
			for (int i = 0; i < px.length; i++) px[i] &= 0xffffff; // no alpha: pixels compare as ImageJ RGB
			return new ColorProcessor(w, h, px);
		}
		Opener o = new Opener();
		o.setSilentMode(true);
		ImagePlus imp = o.openImage(file.toString());
		if (imp == null) throw new DatasetException(file + ": cannot be read as an image (corrupt or unsupported)");
		return (ColorProcessor) imp.getProcessor().convertToRGB();
	}

	private static ColorProcessor fit(ColorProcessor cp, int w, int h) {
		if (cp.getWidth() == w && cp.getHeight() == h) return cp;
		double scale = Math.min((double) w / cp.getWidth(), (double) h / cp.getHeight());
		int sw = Math.max(1, (int) Math.round(cp.getWidth() * scale));
		int sh = Math.max(1, (int) Math.round(cp.getHeight() * scale));
		cp.setInterpolationMethod(ImageProcessor.BILINEAR);
		ImageProcessor scaled = cp.resize(sw, sh, true);
		ColorProcessor out = new ColorProcessor(w, h);
		out.insert(scaled, (w - sw) / 2, (h - sh) / 2);
		return out;
	}
}
