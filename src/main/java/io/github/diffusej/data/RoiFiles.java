package io.github.diffusej.data;

import ij.gui.Roi;
import ij.io.RoiDecoder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Reads ImageJ ROI files: a single {@code .roi} or a ROI Manager {@code RoiSet.zip}. */
public final class RoiFiles {

	private RoiFiles() {}

	public static List<Roi> read(Path file) throws IOException {
		String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
		if (!Files.isRegularFile(file)) throw new DatasetException(file + ": no such ROI file");
		List<Roi> rois = new ArrayList<>();
		if (name.endsWith(".roi")) {
			rois.add(decode(Files.readAllBytes(file), file.getFileName().toString(), file));
		}
		else if (name.endsWith(".zip")) {
			try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
				ZipEntry e;
				while ((e = zip.getNextEntry()) != null) {
					if (e.isDirectory() || !e.getName().toLowerCase(Locale.ROOT).endsWith(".roi")) continue;
					rois.add(decode(zip.readAllBytes(), e.getName(), file));
				}
			}
			if (rois.isEmpty()) throw new DatasetException(file + ": holds no .roi entries");
		}
		else throw new DatasetException(file + ": not an ImageJ ROI file (.roi or RoiSet .zip)");
		return rois;
	}

	private static Roi decode(byte[] bytes, String entry, Path file) throws IOException {
		Roi r;
		try {
			r = new RoiDecoder(bytes, entry).getRoi();
		}
		catch (RuntimeException e) {
			r = null;
		}
		if (r == null) throw new DatasetException(file + ": entry " + entry + " is not a valid ImageJ ROI");
		return r;
	}
}
