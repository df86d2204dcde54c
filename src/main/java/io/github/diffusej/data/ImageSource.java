package io.github.diffusej.data;

import ij.ImagePlus;
import ij.gui.Roi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One input of a build: an open image or a file ImageJ opens, the ROIs that go with it, and where it came from.
 *
 * @param image an open image, or null when {@code file} is to be opened
 * @param file the image file, or null for an image that exists only in memory
 * @param rois ROIs for {@code ROI_CROPS} and masks (e.g. the ROI Manager's); may be empty
 * @param source where the image came from (URL, DOI, instrument, free text); recorded in dataset.json
 * @param licence licence of the image (SPDX id or text)
 * @param attribution who must be credited
 */
public record ImageSource(ImagePlus image, Path file, List<Roi> rois, String source, String licence,
	String attribution)
{

	/** File types ImageJ 1.x opens by itself; a folder's other files are reported as skipped. */
	public static final Set<String> OPENABLE = Set.of("tif", "tiff", "png", "jpg", "jpeg", "gif", "bmp", "pgm",
		"fits", "fit", "fts", "dcm", "dicom", "lut", "zip");

	public ImageSource {
		if (image == null && file == null) throw new IllegalArgumentException("an image source needs an image or a file");
		rois = rois == null ? List.of() : List.copyOf(rois);
		source = source == null ? "" : source;
		licence = licence == null ? "" : licence;
		attribution = attribution == null ? "" : attribution;
	}

	public static ImageSource of(ImagePlus imp) {
		String dir = imp.getOriginalFileInfo() == null ? null : imp.getOriginalFileInfo().getFilePath();
		Path file = null;
		if (dir != null && !dir.isBlank()) {
			try {
				file = Path.of(dir);
			}
			catch (RuntimeException e) {
				file = null;
			}
		}
		return new ImageSource(imp, file, List.of(), "", "", "");
	}

	public static ImageSource of(Path file) {
		return new ImageSource(null, file, List.of(), "", "", "");
	}

	public ImageSource withRois(List<Roi> r) {
		return new ImageSource(image, file, r, source, licence, attribution);
	}

	/** The same source with provenance; blank arguments keep the current values. */
	public ImageSource withProvenance(String src, String lic, String attr) {
		return new ImageSource(image, file, rois, blank(src) ? source : src, blank(lic) ? licence : lic,
			blank(attr) ? attribution : attr);
	}

	/** The name shown in reports: the file name or the image title. */
	public String name() {
		if (image != null) return image.getTitle();
		return file.getFileName().toString();
	}

	/**
	 * The files of a folder, sorted by name, hidden files left out. Every file is listed (not only
	 * {@link #OPENABLE} ones) so that the build reports what it could not use.
	 */
	public static List<ImageSource> folder(Path dir, boolean recursive) throws IOException {
		if (!Files.isDirectory(dir)) throw new DatasetException(dir + ": no such folder");
		List<ImageSource> out = new ArrayList<>();
		try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
			for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
				boolean hidden = false;
				for (Path part : dir.relativize(p)) hidden |= part.toString().startsWith(".");
				if (hidden) continue;
				out.add(of(p));
			}
		}
		return out;
	}

	static boolean isOpenable(Path p) {
		return OPENABLE.contains(DatasetReader.extension(p));
	}

	private static boolean blank(String s) {
		return s == null || s.isBlank();
	}
}
