package io.github.diffusej.data;

import io.github.diffusej.ProgressListener;
import io.github.diffusej.io.AtomicFiles;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.gui.Roi;
import ij.io.Opener;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;

import java.awt.Rectangle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Function;
import java.util.stream.Stream;

import io.github.diffusej.data.BuildSettings.CaptionSource;
import io.github.diffusej.data.BuildSettings.NormalizeMode;
import io.github.diffusej.data.BuildSettings.PlaneMode;
import io.github.diffusej.data.BuildSettings.SizingMode;
import io.github.diffusej.data.DatasetBuildRequest.ExistingPolicy;

/**
 * Builds a captioned dataset from images: planes are selected, converted to 8-bit RGB
 * ({@link ImageConverter8Bit}), cut and scaled ({@link Tiler}), captioned ({@link CaptionTemplate}), checked for
 * duplicates ({@link DuplicateFinder}), split ({@link DatasetSplit}) and written in the requested formats with a
 * {@code dataset.json} holding their provenance.
 *
 * <p>Safety: a new dataset is written into a hidden sibling folder ({@code .NAME.partial-*}) that is renamed to
 * the output folder only once complete; a failed or cancelled build deletes it. An existing dataset is never
 * overwritten unless the request says {@link ExistingPolicy#ADD} or {@link ExistingPolicy#REPLACE}; a non-empty
 * folder that is not a DiffuseJ dataset is always refused. When adding, the new images are renamed in first and
 * the index files and {@code dataset.json} rewritten (atomically) last, so an interrupted add leaves the old
 * dataset as it was.
 */
public final class DatasetBuilder {

	private static final int BACKGROUND_TOLERANCE = 8;
	/** Pixels sampled to find a plane's background level. */
	private static final int PREVIEW_PIXELS = 1 << 22;

	private final DatasetBuildRequest req;
	private final ProgressListener listener;
	private final BuildSettings s;
	private final List<DatasetManifest.Source> sources = new ArrayList<>();
	private final List<Pending> pending = new ArrayList<>();
	private final List<DatasetManifest.Skipped> skipped = new ArrayList<>();
	private final List<DatasetManifest.Duplicate> duplicates = new ArrayList<>();
	private final List<String> notes = new ArrayList<>();
	private final CaptionTemplate template;
	private DuplicateFinder finder;
	private Path staging;
	private int buildId;
	private int sourceIdBase;
	private int nextNumber = 1;
	private int emptyTiles;
	private int emptyMasks;
	private long nonFinite;

	/** An item written to the staging folder, before the split. */
	private record Pending(String name, DatasetManifest.Item item) {}

	/** A failure of the caller's listener: it stops the build, whatever input was being read. */
	private static final class ListenerFailure extends RuntimeException {

		private static final long serialVersionUID = 1L;

		ListenerFailure(RuntimeException cause) {
			super(cause);
		}
	}

	/** The listener with its failures marked, so that they are not taken for a bad input. */
	private static ProgressListener marked(ProgressListener l) {
		return new ProgressListener() {

			@Override
			public void progress(int done, int total, String message) {
				try {
					l.progress(done, total, message);
				}
				catch (RuntimeException e) {
					throw new ListenerFailure(e);
				}
			}

			@Override
			public boolean isCancelled() {
				try {
					return l.isCancelled();
				}
				catch (RuntimeException e) {
					throw new ListenerFailure(e);
				}
			}
		};
	}

	private DatasetBuilder(DatasetBuildRequest req, ProgressListener listener) {
		this.req = req;
		this.listener = marked(listener == null ? ProgressListener.NONE : listener);
		this.s = req.settings();
		this.template = CaptionTemplate.parse(s.captions().template());
	}

	/**
	 * Builds the dataset.
	 *
	 * @throws DatasetException when the output folder is refused or no usable image came out
	 * @throws CancellationException when the listener cancelled (nothing is left behind)
	 */
	public static BuildReport build(DatasetBuildRequest req, ProgressListener listener) throws IOException {
		try {
			return new DatasetBuilder(req, listener).run();
		}
		catch (ListenerFailure e) {
			throw (RuntimeException) e.getCause();
		}
	}

	private BuildReport run() throws IOException {
		if (req.sources().isEmpty()) throw new IllegalArgumentException("no images to build a dataset from");
		Path out = req.outputDir().toAbsolutePath().normalize();
		if (out.getParent() == null) throw new DatasetException(out + ": cannot build a dataset at a file-system root");
		Dataset existing = inspectTarget(out);
		List<ImageSource> inputs = outsideOutput(req.sources(), out);
		if (s.sizing().masks() && req.sources().stream().allMatch(src -> src.rois().stream().noneMatch(Roi::isArea))) {
			throw new IllegalArgumentException("masks were asked for but no source has an area ROI (add ROIs to the "
				+ "ROI Manager or the image overlay, or turn masks off)");
		}
		if (s.sizing().mode() == SizingMode.ROI_CROPS && req.sources().stream().allMatch(src -> src.rois().isEmpty())) {
			throw new IllegalArgumentException("sizing roi-crops needs ROIs (ROI Manager or overlay) on the images");
		}
		List<DatasetFormat> formats = req.formats();
		finder = new DuplicateFinder(s.hygiene().nearDuplicateDistance());
		if (existing != null) {
			DatasetManifest m = existing.manifest();
			formats = m.formats().stream().map(DatasetFormat::parse).toList();
			if (!formats.equals(req.formats())) {
				notes.add("Adding to a dataset written as " + m.formats() + ": kept its formats.");
			}
			buildId = m.builds().size();
			sourceIdBase = m.sources().size();
			for (DatasetManifest.Item it : m.items()) {
				nextNumber = Math.max(nextNumber, itemNumber(it.image()) + 1);
				if (it.sha256() != null && it.dhash() != null && it.dhash().matches("[0-9a-fA-F]{1,16}")) {
					finder.add(Path.of(it.image()).getFileName().toString(),
						new DuplicateFinder.Fingerprint(it.sha256(), Long.parseUnsignedLong(it.dhash(), 16)));
				}
			}
		}
		Files.createDirectories(out.getParent());
		staging = AtomicFiles.createTempDirectory(out.getParent(), "." + out.getFileName() + ".partial-");
		try {
			Files.createDirectories(staging.resolve("train"));
			int n = inputs.size();
			try {
				for (int i = 0; i < n; i++) buildSourceSafely(inputs.get(i), i, n);
			}
			catch (UncheckedIOException e) {
				throw e.getCause();
			}
			if (pending.isEmpty()) throw nothingProduced();
			BuildReport report = existing == null ? commitNew(out, formats) : commitAdd(out, existing, formats);
			return report;
		}
		finally {
			deleteTree(staging); // moved away on success; whatever is left is partial
		}
	}

	/** Null for a fresh build; the existing dataset when adding. Throws where the folder must not be touched. */
	private Dataset inspectTarget(Path out) throws IOException {
		if (!Files.exists(out)) return null;
		if (!Files.isDirectory(out)) throw new DatasetException(out + ": exists and is a file, not a dataset folder");
		boolean empty;
		try (Stream<Path> l = Files.list(out)) {
			empty = l.findAny().isEmpty();
		}
		if (empty) return null;
		if (!Files.isRegularFile(out.resolve(DatasetManifest.FILE_NAME))) {
			throw new DatasetException(out + ": folder is not empty and holds no DiffuseJ dataset (no dataset.json); "
				+ "refusing to write into it. Choose a new or empty folder.");
		}
		return switch (req.ifExists()) {
			case REFUSE -> throw new DatasetException(out + ": holds a dataset already; nothing was changed. Choose "
				+ "another folder, or ask to add to it (if_exists=add) or to replace it (if_exists=replace).");
			case ADD -> DatasetReader.readDiffuseJ(out);
			case REPLACE -> {
				DatasetReader.readManifest(out);
				yield null;
			}
		};
	}

	private DatasetException nothingProduced() {
		StringBuilder sb = new StringBuilder("No training image came out of " + req.sources().size()
			+ (req.sources().size() == 1 ? " input" : " inputs"));
		if (emptyTiles > 0) sb.append("; ").append(emptyTiles).append(" tiles were empty (lower min_tile_std or raise "
			+ "max_background)");
		if (emptyMasks > 0) sb.append("; ").append(emptyMasks).append(" images had no ROI for their mask");
		long removed = duplicates.stream().filter(DatasetManifest.Duplicate::removed).count();
		if (removed > 0) sb.append("; ").append(removed).append(" duplicates were removed");
		for (DatasetManifest.Skipped sk : skipped) sb.append("\n  ").append(sk.input()).append(": ").append(sk.reason());
		return new DatasetException(sb.toString());
	}

	/**
	 * Files inside the output folder are not inputs (a recursive folder that holds the dataset being written, or
	 * an earlier one, would feed the dataset its own images); a note says how many were left out.
	 */
	private List<ImageSource> outsideOutput(List<ImageSource> all, Path out) {
		List<ImageSource> kept = new ArrayList<>();
		int inside = 0;
		for (ImageSource src : all) {
			Path f = src.image() == null && src.file() != null ? src.file().toAbsolutePath().normalize() : null;
			if (f != null && f.startsWith(out)) inside++;
			else kept.add(src);
		}
		if (inside > 0) notes.add(inside + (inside == 1 ? " file" : " files") + " inside the output folder " + out
			+ " were left out of the inputs.");
		return kept;
	}

	// ---- one source ---------------------------------------------------------------------------------------

	/** The most bytes a source may take decoded: a quarter of the heap, so that a build keeps room to work. */
	static long decodeBudget() {
		String p = System.getProperty("diffusej.dataset.decodeBudget");
		if (p != null) return Long.parseLong(p.trim());
		return Runtime.getRuntime().maxMemory() / 4;
	}

	/**
	 * One input, never the end of the build: an input that fails (damaged file, an Error such as OutOfMemoryError
	 * while decoding) is rolled back (its items, files and source record) and reported as skipped. Cancellation
	 * and failures to write the dataset itself still stop the build.
	 */
	private void buildSourceSafely(ImageSource src, int index, int count) {
		int pendingMark = pending.size(), sourceMark = sources.size(), dupMark = duplicates.size();
		int numberMark = nextNumber, tilesMark = emptyTiles, masksMark = emptyMasks;
		long nonFiniteMark = nonFinite;
		try {
			buildSource(src, index, count);
		}
		catch (CancellationException | UncheckedIOException | ListenerFailure e) {
			throw e;
		}
		catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
			for (Pending pd : pending.subList(pendingMark, pending.size())) {
				try {
					Files.deleteIfExists(staging.resolve(pd.item().image()));
					if (pd.item().mask() != null) Files.deleteIfExists(staging.resolve(pd.item().mask()));
				}
				catch (IOException io) {
					throw new UncheckedIOException(io);
				}
			}
			pending.subList(pendingMark, pending.size()).clear();
			sources.subList(sourceMark, sources.size()).clear();
			duplicates.subList(dupMark, duplicates.size()).clear();
			nextNumber = numberMark;
			emptyTiles = tilesMark;
			emptyMasks = masksMark;
			nonFinite = nonFiniteMark;
			String why = e instanceof OutOfMemoryError ? "ran out of memory while converting it (" + e.getMessage()
				+ "); give Java more memory or use tile mode" : e instanceof StackOverflowError ? "StackOverflowError"
				: e.getMessage() == null ? e.toString() : e.getMessage();
			skipped.add(new DatasetManifest.Skipped(src.file() != null ? src.file().toString() : src.name(),
				"failed and was left out: " + why));
		}
	}

	private void buildSource(ImageSource src, int index, int count) {
		checkCancelled();
		listener.progress(index * 1000, count * 1000, "Opening " + src.name());
		ImagePlus imp = src.image();
		boolean opened = false;
		if (imp == null) {
			if (!ImageSource.isOpenable(src.file())) {
				skipped.add(new DatasetManifest.Skipped(src.file().toString(), "not an image file type ImageJ opens"));
				return;
			}
			ImageProbe probe;
			try {
				probe = ImageProbe.read(src.file());
			}
			catch (IOException e) {
				skipped.add(new DatasetManifest.Skipped(src.file().toString(), "ImageJ could not open it: unreadable "
					+ "header: " + e.getMessage()));
				return;
			}
			long budget = decodeBudget();
			if (probe != null && probe.decodedBytes() > budget) {
				if (probe.tiff() != null && s.sizing().mode() == SizingMode.TILE) {
					buildStreamed(src, probe, index, count);
					return;
				}
				skipped.add(new DatasetManifest.Skipped(src.file().toString(), probe.describe() + " decodes to "
					+ mb(probe.decodedBytes()) + ", more than the " + mb(budget) + " a source may take (a quarter of "
					+ "the Java heap)" + (probe.tiff() != null ? "; tile mode reads this uncompressed TIFF tile by tile"
					: "; only uncompressed TIFFs can be tiled without decoding them whole") + ", or give Java more memory"));
				return;
			}
			try {
				Opener o = new Opener();
				o.setSilentMode(true);
				imp = o.openImage(src.file().toString());
			}
			catch (RuntimeException e) {
				imp = null;
				skipped.add(new DatasetManifest.Skipped(src.file().toString(), "ImageJ could not open it: " + e));
				return;
			}
			if (imp == null) {
				skipped.add(new DatasetManifest.Skipped(src.file().toString(),
					"ImageJ could not open it (corrupt, truncated or unsupported)"));
				return;
			}
			opened = true;
		}
		try {
			buildImage(imp, src, index, count);
		}
		finally {
			if (opened) imp.flush();
		}
	}

	private void buildImage(ImagePlus imp, ImageSource src, int index, int count) {
		String name = src.name();
		int nc = imp.getNChannels();
		int nz = imp.getNSlices();
		int nt = imp.getNFrames();
		if (imp.getWidth() < 1 || imp.getHeight() < 1 || imp.getStackSize() < 1) {
			skipped.add(new DatasetManifest.Skipped(name, "image has no pixels"));
			return;
		}
		if (nc * nz * nt != imp.getStackSize()) {
			nc = 1;
			nz = imp.getStackSize();
			nt = 1;
		}
		BuildSettings.PlaneSelection sel = s.planes();
		List<Integer> cs = IndexRange.parse(sel.channels(), nc, "channels");
		List<Integer> zs = IndexRange.parse(sel.slices(), nz, "slices");
		List<Integer> ts = IndexRange.parse(sel.frames(), nt, "frames");
		if (sel.mode() == PlaneMode.CURRENT_CHANNEL) cs = List.of(Math.min(imp.getC(), nc));
		boolean composite = sel.mode() == PlaneMode.COMPOSITE && nc > 1 && imp.getType() != ImagePlus.COLOR_RGB;
		if (composite && imp instanceof CompositeImage ci && ci.getMode() == IJ.COMPOSITE) {
			boolean[] active = ci.getActiveChannels();
			cs = cs.stream().filter(c -> c - 1 < active.length && active[c - 1]).toList();
		}
		if (cs.isEmpty() || zs.isEmpty() || ts.isEmpty()) {
			skipped.add(new DatasetManifest.Skipped(name, "the plane selection (channels '" + sel.channels()
				+ "', slices '" + sel.slices() + "', frames '" + sel.frames() + "') leaves no plane of this "
				+ nc + "x" + nz + "x" + nt + " (CxZxT) image"));
			return;
		}
		int sourceId = sourceIdBase + sources.size();
		sources.add(sourceRecord(sourceId, imp, src, nc, nz, nt));
		noteIfTiny(name, imp.getWidth(), imp.getHeight());
		ImageConverter8Bit conv = new ImageConverter8Bit(imp, s.normalization(), zs, ts);
		int planes = ts.size() * zs.size() * (composite ? 1 : cs.size());
		int done = 0;
		for (int t : ts) {
			for (int z : zs) {
				if (composite) {
					checkCancelled();
					listener.progress(index * 1000 + done++ * 1000 / planes, count * 1000,
						name + ": composite z " + z + " t " + t);
					buildPlane(imp, src, sourceId, conv.view(cs, z, t), 0, join(cs), z, t);
					continue;
				}
				for (int c : cs) {
					checkCancelled();
					listener.progress(index * 1000 + done++ * 1000 / planes, count * 1000,
						name + ": c " + c + " z " + z + " t " + t);
					buildPlane(imp, src, sourceId, conv.view(List.of(c), z, t), c, String.valueOf(c), z, t);
				}
			}
		}
		nonFinite += conv.nonFinitePixels();
	}

	/** A source far below the training resolution is enlarged and blurry: said in the report (and by Check). */
	private void noteIfTiny(String name, int w, int h) {
		int res = s.sizing().resolution();
		if (Math.min(w, h) * 2 <= res) notes.add("WARNING: " + name + " is only " + w + "x" + h + " pixels, far below "
			+ "the training resolution " + res + ": its images are enlarged " + String.format(Locale.ROOT, "%.1f",
				res / (double) Math.min(w, h)) + "x and will be blurry");
	}

	/**
	 * An uncompressed TIFF too large to decode, tiled straight from the file: one tile at a time plus a strided
	 * sample per plane for the contrast window and the background, never the whole plane.
	 */
	private void buildStreamed(ImageSource src, ImageProbe probe, int index, int count) {
		String name = src.name();
		try (LargeTiff tiff = new LargeTiff(src.file(), probe.tiff())) {
			int nz = (int) Math.min(Integer.MAX_VALUE, tiff.planes());
			BuildSettings.PlaneSelection sel = s.planes();
			List<Integer> zs = IndexRange.parse(sel.slices(), nz, "slices");
			List<Integer> cs = IndexRange.parse(sel.channels(), 1, "channels");
			List<Integer> ts = IndexRange.parse(sel.frames(), 1, "frames");
			if (zs.isEmpty() || cs.isEmpty() || ts.isEmpty()) {
				skipped.add(new DatasetManifest.Skipped(name, "the plane selection leaves no plane of this 1x" + nz
					+ "x1 (CxZxT) image"));
				return;
			}
			ImagePlus imp = StreamedTiff.standIn(src.file().getFileName().toString(), tiff);
			int sourceId = sourceIdBase + sources.size();
			sources.add(sourceRecord(sourceId, imp, src, 1, nz, 1));
			notes.add(name + " (" + probe.describe() + ") is larger than a source may take decoded; it was tiled "
				+ "straight from the file");
			noteIfTiny(name, tiff.width(), tiff.height());
			double[] stackRange = null;
			if (!tiff.isRgb() && s.normalization().mode() == NormalizeMode.PER_STACK)
				stackRange = StreamedTiff.range(tiff, zs.stream().map(z -> (long) z - 1).toList(), s.normalization());
			long[] nonFiniteCount = {0};
			int done = 0;
			for (int z : zs) {
				checkCancelled();
				listener.progress(index * 1000 + done++ * 1000 / zs.size(), count * 1000, name + ": z " + z
					+ " (streamed)");
				double[] range = tiff.isRgb() ? null : stackRange != null ? stackRange
					: StreamedTiff.range(tiff, List.of((long) z - 1), s.normalization());
				buildPlane(imp, src, sourceId, StreamedTiff.plane(tiff, z - 1, range, nonFiniteCount), 1, "1", z, 1);
			}
			nonFinite += nonFiniteCount[0];
		}
		catch (IOException e) {
			throw new IllegalStateException(src.file() + ": " + e.getMessage(), e); // skipped by buildSourceSafely
		}
	}

	private void buildPlane(ImagePlus imp, ImageSource src, int sourceId, ImageConverter8Bit.Plane plane, int c,
		String channels, int z, int t)
	{
		int w = plane.width();
		int h = plane.height();
		BuildSettings.Sizing sz = s.sizing();
		List<Roi> rois = applicable(imp, src.rois(), c, z, t);
		List<Rectangle> rects = new ArrayList<>();
		List<String> rectRois = new ArrayList<>();
		switch (sz.mode()) {
			case RESIZE_CROP -> rects.add(Tiler.centreSquare(w, h));
			case TILE -> rects.addAll(Tiler.tiles(w, h, sz.resolution(), sz.tileOverlap()));
			case KEEP -> rects.add(new Rectangle(0, 0, w, h));
			case ROI_CROPS -> {
				for (Roi r : rois) {
					rects.add(Tiler.squareAround(r, w, h));
					rectRois.add(r.getName() == null ? "" : r.getName());
				}
			}
		}
		if (sz.masks() && rois.isEmpty()) {
			// no ROI on this plane: every item's mask would be empty (and a full-size mask of a huge plane is not made)
			emptyMasks += rects.size();
			return;
		}
		ByteProcessor fullMask = sz.masks() ? Tiler.roiMask(w, h, rois) : null;
		int background = sz.mode() == SizingMode.TILE ? Tiler.backgroundLevel(plane.preview(PREVIEW_PIXELS)) : 0;
		String label = sliceLabel(imp, c, z, t);
		for (int i = 0; i < rects.size(); i++) {
			checkCancelled();
			Rectangle r = rects.get(i);
			int ow = sz.mode() == SizingMode.KEEP ? r.width : sz.resolution();
			int oh = sz.mode() == SizingMode.KEEP ? r.height : sz.resolution();
			ColorProcessor img = (ColorProcessor) Tiler.resize(plane.crop(r), ow, oh);
			if (sz.mode() == SizingMode.TILE) {
				Tiler.TileStats st = Tiler.stats(img, background, BACKGROUND_TOLERANCE);
				if (st.std() < sz.minTileStd() || st.backgroundFraction() > sz.maxBackgroundFraction()) {
					emptyTiles++;
					continue;
				}
			}
			ByteProcessor mask = null;
			if (fullMask != null) {
				mask = Tiler.cropMask(fullMask, r, ow, oh);
				if (isAllZero(mask)) {
					emptyMasks++;
					continue;
				}
			}
			String roiName = rectRois.isEmpty() ? "" : rectRois.get(i);
			String fileName = String.format(Locale.ROOT, "%05d.png", nextNumber);
			DuplicateFinder.Fingerprint fp = DuplicateFinder.fingerprint(img);
			String describe = src.name() + " c" + channels + " z" + z + " t" + t + " at " + r.x + "," + r.y;
			DuplicateFinder.Match dup = finder.add(fileName, fp);
			if (dup != null) {
				boolean remove = s.hygiene().removeDuplicates();
				duplicates.add(new DatasetManifest.Duplicate(remove ? describe : fileName, dup.duplicateOf(), dup.exact(),
					dup.distance(), remove));
				if (remove) continue;
			}
			int number = nextNumber++;
			String caption = caption(imp, src, label, number, c, z, t, r, roiName);
			try {
				DatasetWriter.writePng(img, staging.resolve("train").resolve(fileName));
				if (mask != null) {
					Files.createDirectories(staging.resolve("masks"));
					DatasetWriter.writePng(mask, staging.resolve("masks").resolve(fileName));
				}
			}
			catch (IOException e) {
				throw new UncheckedIOException(e);
			}
			pending.add(new Pending(fileName, new DatasetManifest.Item("train/" + fileName, caption,
				mask != null ? "masks/" + fileName : null, "train", buildId, sourceId, c, channels, z, t, r.x, r.y,
				r.width, r.height, roiName, fp.sha256(), fp.dhashHex())));
		}
	}

	/** ROIs that belong to plane (c, z, t): no position, or a position that matches (c = 0: any channel). */
	private static List<Roi> applicable(ImagePlus imp, List<Roi> rois, int c, int z, int t) {
		List<Roi> out = new ArrayList<>();
		for (Roi r : rois) {
			int rc = 0;
			int rz = 0;
			int rt = 0;
			if (r.hasHyperStackPosition()) {
				rc = r.getCPosition();
				rz = r.getZPosition();
				rt = r.getTPosition();
			}
			else if (r.getPosition() > 0 && r.getPosition() <= imp.getStackSize()) {
				if (imp.getNChannels() * imp.getNSlices() * imp.getNFrames() == imp.getStackSize()) {
					int[] pos = imp.convertIndexToPosition(r.getPosition());
					rc = imp.getNChannels() > 1 ? pos[0] : 0;
					rz = imp.getNSlices() > 1 ? pos[1] : 0;
					rt = imp.getNFrames() > 1 ? pos[2] : 0;
				}
				else rz = r.getPosition();
			}
			if ((rc == 0 || c == 0 || rc == c) && (rz == 0 || rz == z) && (rt == 0 || rt == t)) out.add(r);
		}
		return out;
	}

	private static String sliceLabel(ImagePlus imp, int c, int z, int t) {
		int idx = ImageConverter8Bit.stackIndex(imp, Math.max(1, c), z, t);
		String l = imp.getStack().getSliceLabel(idx);
		if ((l == null || l.isBlank()) && imp.getStackSize() == 1) {
			Object info = imp.getProperty("Label");
			l = info instanceof String str ? str : null;
		}
		return l == null ? "" : CaptionTemplate.firstLine(l);
	}

	private String caption(ImagePlus imp, ImageSource src, String label, int number, int c, int z, int t, Rectangle r,
		String roi)
	{
		BuildSettings.CaptionSettings cs = s.captions();
		String body;
		if (cs.source() == CaptionSource.SLICE_LABEL && !label.isEmpty()) body = CaptionTemplate.tidy(label);
		else {
			Calibration cal = imp.getCalibration();
			Function<String, String> values = f -> switch (f) {
				case "token" -> cs.token();
				case "title" -> title(imp);
				case "file" -> src.file() == null ? "" : src.file().getFileName().toString();
				case "slice_label" -> label;
				case "index" -> String.valueOf(number);
				case "c" -> c == 0 ? "" : String.valueOf(c);
				case "z" -> String.valueOf(z);
				case "t" -> String.valueOf(t);
				case "channels" -> String.valueOf(imp.getNChannels());
				case "slices" -> String.valueOf(imp.getNSlices());
				case "frames" -> String.valueOf(imp.getNFrames());
				case "width" -> String.valueOf(imp.getWidth());
				case "height" -> String.valueOf(imp.getHeight());
				case "x" -> String.valueOf(r.x);
				case "y" -> String.valueOf(r.y);
				case "roi" -> roi;
				case "pixel_width" -> number(cal.pixelWidth);
				case "pixel_height" -> number(cal.pixelHeight);
				case "pixel_depth" -> number(cal.pixelDepth);
				case "unit" -> cal.getUnit();
				default -> property(imp, f.substring("prop:".length()));
			};
			body = template.render(values);
		}
		return CaptionTemplate.withPrefix(cs.prefix(), body);
	}

	private static String property(ImagePlus imp, String key) {
		String v = imp.getProp(key);
		if (v == null || v.isEmpty()) v = imp.getStringProperty(key);
		return v == null ? "" : v.trim();
	}

	/** A calibration value without float noise: 0.1625 and not 0.16250000000000001. */
	static String number(double v) {
		if (!Double.isFinite(v)) return String.valueOf(v);
		return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
	}

	static String title(ImagePlus imp) {
		String t = imp.getTitle() == null ? "" : imp.getTitle();
		String lower = t.toLowerCase(Locale.ROOT);
		for (String ext : List.of(".ome.tiff", ".ome.tif", ".tiff", ".tif", ".png", ".jpeg", ".jpg", ".gif", ".bmp",
			".zip", ".dcm", ".fits"))
		{
			if (lower.endsWith(ext)) return t.substring(0, t.length() - ext.length());
		}
		return t;
	}

	private DatasetManifest.Source sourceRecord(int id, ImagePlus imp, ImageSource src, int nc, int nz, int nt) {
		Calibration cal = imp.getCalibration();
		String type = switch (imp.getType()) {
			case ImagePlus.GRAY8 -> "8-bit";
			case ImagePlus.GRAY16 -> "16-bit";
			case ImagePlus.GRAY32 -> "32-bit";
			case ImagePlus.COLOR_256 -> "8-bit color";
			case ImagePlus.COLOR_RGB -> "RGB";
			default -> "unknown";
		};
		if (imp instanceof CompositeImage && nc > 1) type += " composite";
		return new DatasetManifest.Source(id, buildId, imp.getTitle(), src.file() == null ? null : src.file().toString(),
			imp.getWidth(), imp.getHeight(), nc, nz, nt, type,
			new DatasetManifest.Calibration(cal.pixelWidth, cal.pixelHeight, cal.pixelDepth, cal.getUnit(),
				cal.frameInterval, cal.getTimeUnit()),
			src.source(), src.licence(), src.attribution());
	}

	// ---- commit -------------------------------------------------------------------------------------------

	private BuildReport commitNew(Path out, List<DatasetFormat> formats) throws IOException {
		checkCancelled();
		listener.progress(999, 1000, "Writing dataset files");
		List<DatasetManifest.Item> items = split();
		List<DatasetItem> train = new ArrayList<>();
		List<DatasetItem> val = new ArrayList<>();
		for (DatasetManifest.Item it : items) {
			DatasetItem di = new DatasetItem(staging.resolve(it.image()), it.caption(),
				it.mask() == null ? null : staging.resolve(it.mask()));
			(it.split().equals("train") ? train : val).add(di);
		}
		writeIndexes(staging, formats, train, val);
		String now = DatasetWriter.now();
		DatasetWriter.writeManifest(staging, new DatasetManifest(DatasetManifest.FORMAT_VERSION, generator(), now, now,
			true, formats.stream().map(DatasetFormat::id).toList(), List.of(buildRecord(now, items.size())), sources,
			items, skipped, duplicates));
		checkCancelled();
		if (Files.exists(out)) {
			if (req.ifExists() == ExistingPolicy.REPLACE && Files.isRegularFile(out.resolve(DatasetManifest.FILE_NAME))) {
				Path old = AtomicFiles.createTempDirectory(out.getParent(), "." + out.getFileName() + ".old-");
				Files.delete(old);
				DatasetWriter.move(out, old);
				try {
					DatasetWriter.move(staging, out);
				}
				catch (IOException e) {
					DatasetWriter.move(old, out);
					throw e;
				}
				deleteTree(old);
				notes.add("Replaced the dataset that was in " + out + ".");
			}
			else {
				Files.delete(out); // empty folder (checked before the build)
				DatasetWriter.move(staging, out);
			}
		}
		else DatasetWriter.move(staging, out);
		listener.progress(1000, 1000, "Dataset written to " + out);
		return new BuildReport(DatasetReader.read(out), items.size(), emptyTiles, emptyMasks, nonFinite, skipped,
			duplicates, notes);
	}

	private BuildReport commitAdd(Path out, Dataset existing, List<DatasetFormat> formats) throws IOException {
		checkCancelled();
		listener.progress(999, 1000, "Adding to dataset " + out);
		DatasetManifest m = existing.manifest();
		List<DatasetManifest.Item> added = split();
		List<Path> moved = new ArrayList<>();
		boolean ok = false;
		try {
			for (DatasetManifest.Item it : added) {
				moved.add(moveInto(it.image(), out));
				if (it.mask() != null) moved.add(moveInto(it.mask(), out));
			}
			List<DatasetItem> train = new ArrayList<>(existing.items());
			List<DatasetItem> val = new ArrayList<>(existing.validation());
			for (DatasetManifest.Item it : added) {
				DatasetItem di = new DatasetItem(out.resolve(it.image()), it.caption(),
					it.mask() == null ? null : out.resolve(it.mask()));
				(it.split().equals("train") ? train : val).add(di);
			}
			// existing captions are those of the index files (the user may have edited them); keep the manifest in step
			List<DatasetManifest.Item> items = new ArrayList<>();
			Map<String, String> current = new HashMap<>();
			for (DatasetItem di : existing.all()) current.put(DatasetWriter.relative(out, di.image()), di.caption());
			for (DatasetManifest.Item it : m.items()) {
				String c = current.get(it.image());
				items.add(c == null ? it : it.withCaption(c));
			}
			items.addAll(added);
			writeIndexes(out, formats, train, val);
			List<DatasetManifest.Build> builds = new ArrayList<>(m.builds());
			String now = DatasetWriter.now();
			builds.add(buildRecord(now, added.size()));
			List<DatasetManifest.Source> allSources = new ArrayList<>(m.sources());
			allSources.addAll(sources);
			List<DatasetManifest.Skipped> allSkipped = new ArrayList<>(m.skipped());
			allSkipped.addAll(skipped);
			List<DatasetManifest.Duplicate> allDups = new ArrayList<>(m.duplicates());
			allDups.addAll(duplicates);
			DatasetWriter.writeManifest(out, new DatasetManifest(DatasetManifest.FORMAT_VERSION, m.generator(), m.created(),
				now, true, m.formats(), builds, allSources, items, allSkipped, allDups));
			ok = true;
		}
		finally {
			if (!ok) {
				for (Path p : moved) Files.deleteIfExists(p);
			}
		}
		listener.progress(1000, 1000, "Added " + added.size() + " items to " + out);
		return new BuildReport(DatasetReader.read(out), added.size(), emptyTiles, emptyMasks, nonFinite, skipped,
			duplicates, notes);
	}

	private Path moveInto(String relative, Path out) throws IOException {
		Path target = out.resolve(relative);
		if (Files.exists(target)) throw new DatasetException(target + ": exists already; refusing to overwrite it");
		Files.createDirectories(target.getParent());
		DatasetWriter.move(staging.resolve(relative), target);
		return target;
	}

	/** Assigns the split and moves validation images (and nothing else) into {@code validation/}. */
	private List<DatasetManifest.Item> split() throws IOException {
		Set<Integer> val = new HashSet<>(DatasetSplit.validationIndices(pending.size(),
			s.hygiene().validationFraction(), s.hygiene().seed()));
		List<DatasetManifest.Item> out = new ArrayList<>();
		for (int i = 0; i < pending.size(); i++) {
			DatasetManifest.Item it = pending.get(i).item();
			if (val.contains(i)) {
				Files.createDirectories(staging.resolve("validation"));
				String image = "validation/" + pending.get(i).name();
				DatasetWriter.move(staging.resolve(it.image()), staging.resolve(image));
				it = new DatasetManifest.Item(image, it.caption(), it.mask(), "validation", it.build(), it.source(), it.c(),
					it.channels(), it.z(), it.t(), it.x(), it.y(), it.width(), it.height(), it.roi(), it.sha256(),
					it.dhash());
			}
			out.add(it);
		}
		return out;
	}

	private static void writeIndexes(Path root, List<DatasetFormat> formats, List<DatasetItem> train,
		List<DatasetItem> val) throws IOException
	{
		for (DatasetFormat f : formats) {
			DatasetWriter.writeIndex(root.resolve("train"), f, train);
			if (!val.isEmpty()) {
				Files.createDirectories(root.resolve("validation"));
				DatasetWriter.writeIndex(root.resolve("validation"), f, val);
			}
		}
	}

	private DatasetManifest.Build buildRecord(String date, int added) {
		return new DatasetManifest.Build(buildId, date, generator(), s, added, emptyTiles, nonFinite);
	}

	// ---- helpers ------------------------------------------------------------------------------------------

	private void checkCancelled() {
		if (listener.isCancelled()) {
			throw new CancellationException("Dataset build cancelled; " + req.outputDir() + " was left as it was");
		}
	}

	private static String mb(long bytes) {
		return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
			: (bytes >> 20) + " MB";
	}

	private static boolean isAllZero(ByteProcessor bp) {
		for (byte b : (byte[]) bp.getPixels()) if (b != 0) return false;
		return true;
	}

	private static String join(List<Integer> cs) {
		StringBuilder sb = new StringBuilder();
		for (int c : cs) {
			if (sb.length() > 0) sb.append(',');
			sb.append(c);
		}
		return sb.toString();
	}

	/** The number in an item file name ({@code train/00012.png} = 12), 0 if there is none. */
	private static int itemNumber(String image) {
		String stem = DatasetReader.stem(Path.of(image));
		try {
			return Integer.parseInt(stem);
		}
		catch (NumberFormatException e) {
			return 0;
		}
	}

	/** "DiffuseJ x.y.z" from the jar's Maven properties ("DiffuseJ dev" when run from classes). */
	public static String generator() {
		String v = DatasetBuilder.class.getPackage().getImplementationVersion();
		if (v == null) {
			try (InputStream in = DatasetBuilder.class.getResourceAsStream(
				"/META-INF/maven/io.github.diffusej/DiffuseJ_/pom.properties"))
			{
				if (in != null) {
					Properties p = new Properties();
					p.load(in);
					v = p.getProperty("version");
				}
			}
			catch (IOException e) {
				v = null;
			}
		}
		return "DiffuseJ " + (v == null ? "dev" : v);
	}

	static void deleteTree(Path root) throws IOException {
		if (root == null || !Files.exists(root)) return;
		try (Stream<Path> w = Files.walk(root)) {
			for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
		}
	}
}
