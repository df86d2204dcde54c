package io.github.diffusej.data;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import ij.process.ImageProcessor;
import io.github.diffusej.io.AtomicFiles;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

/**
 * Writes dataset index files, images and {@code dataset.json}; every file is written to a temporary sibling and
 * renamed, so a reader never sees half a file.
 */
public final class DatasetWriter {

	static final Gson GSON = new GsonBuilder().setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
		.setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();
	private static final Gson LINE = new GsonBuilder().disableHtmlEscaping().create();

	private DatasetWriter() {}

	/**
	 * Writes the index of {@code items} in {@code dir}: {@code data.jsonl} ({@code image}, {@code text},
	 * {@code mask}), {@code metadata.jsonl} ({@code file_name}, {@code text}) or one {@code .txt} per image.
	 * Paths in jsonl files are relative to {@code dir} (with {@code /} separators).
	 */
	public static void writeIndex(Path dir, DatasetFormat format, List<DatasetItem> items) throws IOException {
		switch (format) {
			case INVOKE_JSONL, DIFFUSERS_METADATA -> {
				JsonlColumns cols = format == DatasetFormat.INVOKE_JSONL ? JsonlColumns.INVOKE : JsonlColumns.DIFFUSERS;
				StringBuilder sb = new StringBuilder();
				for (DatasetItem it : items) {
					JsonObject o = new JsonObject();
					o.addProperty(cols.image(), relative(dir, it.image()));
					o.addProperty(cols.caption(), oneLine(it.caption()));
					if (cols.mask() != null && it.mask() != null) o.addProperty(cols.mask(), relative(dir, it.mask()));
					sb.append(LINE.toJson(o)).append('\n');
				}
				writeAtomically(dir.resolve(format.indexFile()), sb.toString());
			}
			case CAPTION_DIR -> {
				for (DatasetItem it : items) {
					Path txt = it.image().resolveSibling(DatasetReader.stem(it.image()) + ".txt");
					writeAtomically(txt, oneLine(it.caption()) + "\n");
				}
			}
		}
	}

	/**
	 * Saves new captions for the items of a dataset read by {@link DatasetReader}, in {@link Dataset#all()} order.
	 * A DiffuseJ dataset gets every recorded format and its manifest rewritten; a jsonl written by another tool
	 * keeps its other columns and its line order; a caption folder gets its {@code .txt} files rewritten.
	 *
	 * @return the dataset as read back after saving
	 */
	public static Dataset saveCaptions(Dataset ds, List<String> captions) throws IOException {
		List<DatasetItem> all = ds.all();
		if (captions.size() != all.size()) {
			throw new IllegalArgumentException(captions.size() + " captions for " + all.size() + " items of " + ds.location());
		}
		List<DatasetItem> train = new ArrayList<>();
		List<DatasetItem> val = new ArrayList<>();
		for (int i = 0; i < all.size(); i++) {
			(i < ds.items().size() ? train : val).add(all.get(i).withCaption(oneLine(captions.get(i))));
		}
		if (ds.isDiffuseJ()) {
			Path root = ds.location();
			DatasetManifest m = ds.manifest();
			for (String f : m.formats()) {
				DatasetFormat format = DatasetFormat.parse(f);
				writeIndex(root.resolve("train"), format, train);
				if (!val.isEmpty()) writeIndex(root.resolve("validation"), format, val);
			}
			Map<String, String> byImage = new HashMap<>();
			for (DatasetItem it : train) byImage.put(relative(root, it.image()), it.caption());
			for (DatasetItem it : val) byImage.put(relative(root, it.image()), it.caption());
			List<DatasetManifest.Item> items = new ArrayList<>();
			for (DatasetManifest.Item it : m.items()) {
				String c = byImage.get(it.image());
				items.add(c == null ? it : it.withCaption(c));
			}
			writeManifest(root, new DatasetManifest(m.formatVersion(), m.generator(), m.created(), now(), true,
				m.formats(), m.builds(), m.sources(), items, m.skipped(), m.duplicates()));
		}
		else if (ds.format() == DatasetFormat.CAPTION_DIR) {
			writeIndex(ds.location(), DatasetFormat.CAPTION_DIR, train);
		}
		else {
			rewriteJsonlCaptions(ds.location(), ds.columns(), train);
		}
		return DatasetReader.read(ds.location());
	}

	/** Replaces the caption column line by line, keeping every other column and blank lines as they were. */
	private static void rewriteJsonlCaptions(Path jsonl, JsonlColumns cols, List<DatasetItem> items) throws IOException {
		List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
		StringBuilder sb = new StringBuilder();
		int k = 0;
		for (int i = 0; i < lines.size(); i++) {
			String line = i == 0 ? DatasetReader.stripBom(lines.get(i)) : lines.get(i);
			if (line.isBlank()) {
				sb.append(line).append('\n');
				continue;
			}
			JsonElement e = JsonParser.parseString(line);
			JsonObject o = e.getAsJsonObject();
			o.addProperty(cols.caption(), items.get(k++).caption());
			sb.append(LINE.toJson(o)).append('\n');
		}
		writeAtomically(jsonl, sb.toString());
	}

	/** Writes {@code dataset.json} atomically. */
	public static void writeManifest(Path root, DatasetManifest m) throws IOException {
		writeAtomically(root.resolve(DatasetManifest.FILE_NAME), GSON.toJson(m) + "\n");
	}

	/** Writes text atomically with {@link AtomicFiles} (forced to disk, the user's permissions). */
	public static void writeAtomically(Path file, String text) throws IOException {
		AtomicFiles.writeString(file, text);
	}

	/** Writes an 8-bit grey or RGB processor as PNG. */
	public static void writePng(ImageProcessor ip, Path file) throws IOException {
		BufferedImage bi;
		int w = ip.getWidth();
		int h = ip.getHeight();
		if (ip.getPixels() instanceof int[] rgb) {
			bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
			bi.getRaster().setDataElements(0, 0, w, h, rgb);
		}
		else if (ip.getPixels() instanceof byte[] grey) {
			bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
			bi.getRaster().setDataElements(0, 0, w, h, grey);
		}
		else throw new IllegalArgumentException("PNG needs 8-bit grey or RGB pixels, got " + ip.getBitDepth() + "-bit");
		BufferedImage image = bi;
		AtomicFiles.writeStream(file, out -> {
			if (!ImageIO.write(image, "png", out)) throw new IOException(file + ": no PNG writer in this Java runtime");
		});
	}

	static void move(Path from, Path to) throws IOException {
		try {
			Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (AtomicMoveNotSupportedException e) {
			Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
		}
	}

	/** {@code target} relative to {@code dir}, with forward slashes (absolute where no relative path exists). */
	static String relative(Path dir, Path target) {
		Path a = dir.toAbsolutePath().normalize();
		Path b = target.toAbsolutePath().normalize();
		if (a.getRoot() == null || !a.getRoot().equals(b.getRoot())) return b.toString();
		return a.relativize(b).toString().replace('\\', '/');
	}

	static String oneLine(String s) {
		return s == null ? "" : s.replaceAll("\\s+", " ").strip();
	}

	static String now() {
		return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
	}
}
