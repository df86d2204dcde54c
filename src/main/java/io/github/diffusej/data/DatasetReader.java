package io.github.diffusej.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads datasets in the three formats, written by DiffuseJ or by other tools.
 *
 * <p>{@link #read(Path)} accepts a DiffuseJ dataset folder (with {@code dataset.json}), a {@code .jsonl} file
 * (invoke-training {@code data.jsonl} or diffusers {@code metadata.jsonl}), or a folder holding {@code data.jsonl},
 * {@code metadata.jsonl} or images with {@code .txt} captions. Errors name the file, the line and the defect; all
 * defects of a file are collected (up to {@value #MAX_ERRORS} shown) rather than stopping at the first.
 */
public final class DatasetReader {

	/** Image types a trainer can load (Java ImageIO reads them all). */
	public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff");

	static final int MAX_ERRORS = 20;

	private DatasetReader() {}

	/** Reads whatever {@code path} is (see class comment). */
	public static Dataset read(Path path) throws IOException {
		Path p = path.toAbsolutePath().normalize();
		if (!Files.exists(p)) throw new DatasetException(p + ": no such file or folder");
		if (Files.isRegularFile(p)) {
			if (p.getFileName().toString().equals(DatasetManifest.FILE_NAME)) return readDiffuseJ(p.getParent());
			if (!p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
				throw DatasetException.at(p, "not a dataset: expected a .jsonl file, dataset.json or a folder");
			}
			return readJsonl(p, guessColumns(p));
		}
		if (Files.isRegularFile(p.resolve(DatasetManifest.FILE_NAME))) return readDiffuseJ(p);
		if (Files.isRegularFile(p.resolve("data.jsonl"))) return readJsonl(p.resolve("data.jsonl"), JsonlColumns.INVOKE);
		if (Files.isRegularFile(p.resolve("metadata.jsonl"))) {
			return readJsonl(p.resolve("metadata.jsonl"), JsonlColumns.DIFFUSERS);
		}
		return readCaptionDir(p);
	}

	/** A DiffuseJ dataset folder: the first recorded format from {@code train/} and {@code validation/}. */
	public static Dataset readDiffuseJ(Path root) throws IOException {
		DatasetManifest m = readManifest(root);
		if (m.formats().isEmpty()) throw DatasetException.at(root.resolve(DatasetManifest.FILE_NAME), "lists no formats");
		DatasetFormat f;
		try {
			f = DatasetFormat.parse(m.formats().get(0));
		}
		catch (IllegalArgumentException e) {
			throw DatasetException.at(root.resolve(DatasetManifest.FILE_NAME), e.getMessage());
		}
		List<DatasetItem> train = readSplit(root.resolve("train"), f, m, root);
		List<DatasetItem> val = Files.isDirectory(root.resolve("validation"))
			? readSplit(root.resolve("validation"), f, m, root) : List.of();
		return new Dataset(root, f, f == DatasetFormat.DIFFUSERS_METADATA ? JsonlColumns.DIFFUSERS : JsonlColumns.INVOKE,
			train, val, m);
	}

	private static List<DatasetItem> readSplit(Path dir, DatasetFormat f, DatasetManifest m, Path root)
		throws IOException
	{
		Dataset d = switch (f) {
			case INVOKE_JSONL -> readJsonl(dir.resolve("data.jsonl"), JsonlColumns.INVOKE);
			case DIFFUSERS_METADATA -> readJsonl(dir.resolve("metadata.jsonl"), JsonlColumns.DIFFUSERS);
			case CAPTION_DIR -> readCaptionDir(dir);
		};
		if (f == DatasetFormat.INVOKE_JSONL) return d.items();
		// The other formats carry no mask column: masks come from the manifest.
		Map<Path, Path> masks = new HashMap<>();
		for (DatasetManifest.Item it : m.items()) {
			if (it.mask() != null) masks.put(root.resolve(it.image()).normalize(), root.resolve(it.mask()).normalize());
		}
		List<DatasetItem> out = new ArrayList<>();
		for (DatasetItem it : d.items()) out.add(new DatasetItem(it.image(), it.caption(), masks.get(it.image())));
		return out;
	}

	/** {@code dataset.json} of a DiffuseJ dataset; refuses one whose build did not finish. */
	public static DatasetManifest readManifest(Path root) throws IOException {
		Path file = root.resolve(DatasetManifest.FILE_NAME);
		DatasetManifest m;
		try {
			m = DatasetWriter.GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), DatasetManifest.class);
		}
		catch (JsonParseException e) {
			throw DatasetException.at(file, "not valid JSON: " + e.getMessage());
		}
		if (m == null) throw DatasetException.at(file, "is empty");
		if (m.formatVersion() > DatasetManifest.FORMAT_VERSION) {
			throw DatasetException.at(file, "format_version " + m.formatVersion()
				+ " is newer than this DiffuseJ reads (" + DatasetManifest.FORMAT_VERSION + ")");
		}
		if (!m.complete()) {
			throw DatasetException.at(file, "the build that wrote this dataset did not finish (complete is false); "
				+ "rebuild it");
		}
		return m;
	}

	/** Guesses columns from the first line: {@code file_name} means diffusers, otherwise invoke defaults. */
	static JsonlColumns guessColumns(Path jsonl) throws IOException {
		if (jsonl.getFileName().toString().equals("metadata.jsonl")) return JsonlColumns.DIFFUSERS;
		try (BufferedReader r = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
			String line;
			while ((line = r.readLine()) != null) {
				line = stripBom(line).trim();
				if (line.isEmpty()) continue;
				try {
					JsonElement e = JsonParser.parseString(line);
					if (e.isJsonObject() && e.getAsJsonObject().has("file_name") && !e.getAsJsonObject().has("image")) {
						return JsonlColumns.DIFFUSERS;
					}
				}
				catch (JsonParseException ignored) {
					// reported with its line number by readJsonl
				}
				break;
			}
		}
		catch (MalformedInputException e) {
			throw DatasetException.at(jsonl, "is not UTF-8 text");
		}
		return JsonlColumns.INVOKE;
	}

	/**
	 * A jsonl dataset: one JSON object per line with the image path, the caption and optionally a mask path.
	 * Paths are absolute or relative to the jsonl's folder. Blank lines are allowed; other columns are ignored.
	 */
	public static Dataset readJsonl(Path jsonl, JsonlColumns columns) throws IOException {
		Path file = jsonl.toAbsolutePath().normalize();
		if (!Files.isRegularFile(file)) throw DatasetException.at(file, "no such file");
		Path dir = file.getParent();
		List<String> lines;
		try {
			lines = Files.readAllLines(file, StandardCharsets.UTF_8);
		}
		catch (MalformedInputException e) {
			throw DatasetException.at(file, "is not UTF-8 text");
		}
		List<DatasetItem> items = new ArrayList<>();
		Errors errors = new Errors(file);
		for (int i = 0; i < lines.size(); i++) {
			int lineNo = i + 1;
			String line = (i == 0 ? stripBom(lines.get(i)) : lines.get(i)).trim();
			if (line.isEmpty()) continue;
			JsonObject o;
			try {
				JsonElement e = JsonParser.parseString(line);
				if (!e.isJsonObject()) {
					errors.add(lineNo, "expected a JSON object {...}, found " + describe(e));
					continue;
				}
				o = e.getAsJsonObject();
			}
			catch (JsonParseException e) {
				errors.add(lineNo, "not valid JSON (" + rootMessage(e) + ")");
				continue;
			}
			String image = string(o, columns.image(), lineNo, errors, true);
			String caption = string(o, columns.caption(), lineNo, errors, true);
			String mask = columns.mask() == null ? null : string(o, columns.mask(), lineNo, errors, false);
			if (image == null || caption == null) continue;
			Path img = resolveImage(dir, image, "image", lineNo, errors);
			Path msk = mask == null || mask.isEmpty() ? null : resolveImage(dir, mask, "mask", lineNo, errors);
			if (img == null || (mask != null && !mask.isEmpty() && msk == null)) continue;
			items.add(new DatasetItem(img, caption, msk));
		}
		errors.throwIfAny();
		if (items.isEmpty()) throw DatasetException.at(file, "holds no items");
		DatasetFormat f = columns.image().equals("file_name") ? DatasetFormat.DIFFUSERS_METADATA
			: DatasetFormat.INVOKE_JSONL;
		return new Dataset(file, f, columns, items, List.of(), null);
	}

	/**
	 * A caption folder: every image ({@link #IMAGE_EXTENSIONS}) with a caption in {@code name.txt} (or kohya's
	 * {@code name.caption}) beside it; the first line is the caption. Sorted by file name.
	 */
	public static Dataset readCaptionDir(Path folder) throws IOException {
		Path dir = folder.toAbsolutePath().normalize();
		if (!Files.isDirectory(dir)) throw DatasetException.at(dir, "no such folder");
		List<Path> images;
		try (Stream<Path> s = Files.list(dir)) {
			images = s.filter(Files::isRegularFile).filter(f -> IMAGE_EXTENSIONS.contains(extension(f)))
				.sorted().toList();
		}
		if (images.isEmpty()) {
			throw DatasetException.at(dir, "no dataset here: no dataset.json, data.jsonl or metadata.jsonl, and no "
				+ "images (" + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList()) + ")");
		}
		Errors errors = new Errors(dir);
		List<DatasetItem> items = new ArrayList<>();
		for (Path img : images) {
			String stem = stem(img);
			Path txt = dir.resolve(stem + ".txt");
			if (!Files.isRegularFile(txt)) txt = dir.resolve(stem + ".caption");
			if (!Files.isRegularFile(txt)) {
				errors.add(img.getFileName() + ": caption file " + stem + ".txt is missing");
				continue;
			}
			String caption;
			try {
				caption = CaptionTemplate.firstLine(stripBom(Files.readString(txt, StandardCharsets.UTF_8)));
			}
			catch (MalformedInputException e) {
				errors.add(txt.getFileName() + ": is not UTF-8 text");
				continue;
			}
			items.add(new DatasetItem(img, caption, null));
		}
		errors.throwIfAny();
		return new Dataset(dir, DatasetFormat.CAPTION_DIR, null, items, List.of(), null);
	}

	private static String string(JsonObject o, String key, int lineNo, Errors errors, boolean required) {
		JsonElement e = o.get(key);
		if (e == null || e.isJsonNull()) {
			if (required) errors.add(lineNo, "missing \"" + key + "\" (columns present: " + o.keySet() + ")");
			return null;
		}
		if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
			errors.add(lineNo, "\"" + key + "\" must be a string, found " + describe(e));
			return null;
		}
		return e.getAsString();
	}

	private static Path resolveImage(Path dir, String ref, String what, int lineNo, Errors errors) {
		if (ref.isBlank()) {
			errors.add(lineNo, what + " path is empty");
			return null;
		}
		Path p;
		try {
			p = dir.resolve(ref).normalize();
		}
		catch (InvalidPathException e) {
			errors.add(lineNo, what + " path '" + ref + "' is not a valid path");
			return null;
		}
		if (!Files.isRegularFile(p)) {
			errors.add(lineNo, what + " file not found: " + p);
			return null;
		}
		if (!IMAGE_EXTENSIONS.contains(extension(p))) {
			errors.add(lineNo, what + " " + p.getFileName() + " has an unsupported type ." + extension(p)
				+ " (supported: " + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList()) + ")");
			return null;
		}
		return p;
	}

	private static String describe(JsonElement e) {
		if (e.isJsonArray()) return "an array";
		if (e.isJsonNull()) return "null";
		if (e.isJsonObject()) return "an object";
		return e.getAsJsonPrimitive().isString() ? "a string" : e.getAsJsonPrimitive().isNumber() ? "a number"
			: "a boolean";
	}

	private static String rootMessage(Throwable e) {
		Throwable t = e;
		while (t.getCause() != null) t = t.getCause();
		return t.getMessage();
	}

	static String stripBom(String s) {
		return !s.isEmpty() && s.charAt(0) == '\uFEFF' ? s.substring(1) : s;
	}

	static String extension(Path p) {
		String n = p.getFileName().toString();
		int dot = n.lastIndexOf('.');
		return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
	}

	static String stem(Path p) {
		String n = p.getFileName().toString();
		int dot = n.lastIndexOf('.');
		return dot < 0 ? n : n.substring(0, dot);
	}

	/** Collects defects of one file and throws them together. */
	private static final class Errors {

		private final Path file;
		private final List<String> list = new ArrayList<>();

		Errors(Path file) {
			this.file = file;
		}

		void add(int line, String msg) {
			list.add("line " + line + ": " + msg);
		}

		void add(String msg) {
			list.add(msg);
		}

		void throwIfAny() throws DatasetException {
			if (list.isEmpty()) return;
			StringBuilder sb = new StringBuilder(file.toString()).append(": ").append(list.size())
				.append(list.size() == 1 ? " problem" : " problems");
			for (int i = 0; i < Math.min(MAX_ERRORS, list.size()); i++) sb.append("\n  ").append(list.get(i));
			if (list.size() > MAX_ERRORS) sb.append("\n  ... and ").append(list.size() - MAX_ERRORS).append(" more");
			throw new DatasetException(sb.toString());
		}
	}
}
