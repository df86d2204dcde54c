package io.github.diffusej.fiji;

import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Overlay;
import ij.gui.Roi;
import ij.plugin.frame.RoiManager;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;

import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.menu.MenuConstants;
import org.scijava.plugin.Menu;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import io.github.diffusej.data.BuildReport;
import io.github.diffusej.data.DatasetBuildRequest;
import io.github.diffusej.data.DatasetBuilder;
import io.github.diffusej.data.DatasetCheck;
import io.github.diffusej.data.DatasetOptions;
import io.github.diffusej.data.ImageSource;

/**
 * Plugins>DiffuseJ>Build Captioned Dataset: the current image, all open images or a folder of images become a
 * captioned training dataset. Parameter names are the macro keys; the work is {@link DatasetBuilder}'s.
 *
 * <p>The dialog is in parts (input, 8-bit conversion, size, captions, duplicates and split, provenance, output),
 * each under a heading. In Fiji, {@link BuildDatasetModes} first asks for the input, the sizing and the caption
 * source, so that the dialog leaves out the fields those choices do not use ({@link #unusedInputs}); a macro
 * passes every key and sees no dialog.
 */
@Plugin(type = Command.class, headless = true, label = "Build Captioned Dataset",
	description = "open images, stacks, hyperstacks, ROIs or a folder of images -> a captioned training dataset",
	menu = {@Menu(label = MenuConstants.PLUGINS_LABEL, weight = MenuConstants.PLUGINS_WEIGHT),
		@Menu(label = DiffuseJMenu.MENU), @Menu(label = "Build Captioned Dataset", weight = DiffuseJMenu.BUILD_DATASET)})
public class BuildDatasetCommand extends ContextCommand {

	static final String CURRENT = "current image";
	static final String ALL_OPEN = "all open images";
	static final String FOLDER = "folder";
	static final String TILE = "tile";
	static final String ROI_CROPS = "roi-crops";
	static final String SLICE_LABEL = "slice-label";

	@Parameter
	private LogService log;

	@Parameter
	private StatusService status;

	// Headings are message items: not macro keys, never recorded. Their names hold no '_' on purpose (see
	// MacroKeysTest): a key must not be the tail of another name after '_'.

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String inputHeading = "<html><b>Input</b>";

	@Parameter(label = "Input", choices = {CURRENT, ALL_OPEN, FOLDER})
	private String input = CURRENT;

	@Parameter(label = "Image", required = false, persist = false)
	private ImagePlus image;

	@Parameter(label = "Image folder", style = FileWidget.DIRECTORY_STYLE, required = false, persist = false,
		description = "For input 'folder': every image in it that ImageJ can open")
	private File folder;

	@Parameter(label = "Include sub-folders")
	private boolean recursive = false;

	@Parameter(label = "Planes", choices = {"all", "current-channel", "composite"})
	private String planes = "all";

	@Parameter(label = "Channels (e.g. 1-3; empty = all)", required = false)
	private String channels = "";

	@Parameter(label = "Slices (z)", required = false)
	private String slices = "";

	@Parameter(label = "Frames (t)", required = false)
	private String frames = "";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String conversionHeading = "<html><b>8-bit conversion</b> (16/32-bit data)";

	@Parameter(label = "8-bit contrast", choices = {"per-image", "per-stack", "display-range"})
	private String normalization = "per-image";

	@Parameter(label = "Saturated pixels (%)", min = "0", max = "99",
		description = "Percentile contrast: this share of pixels saturates (not used with display-range)")
	private double saturation = 0.35;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String sizeHeading = "<html><b>Size</b>";

	@Parameter(label = "Sizing", choices = {"resize-crop", TILE, ROI_CROPS, "keep"})
	private String sizing = "resize-crop";

	@Parameter(label = "Resolution (px)", min = "8", max = "8192")
	private int resolution = 512;

	@Parameter(label = "Tile overlap (px)", min = "0")
	private int tile_overlap = 64;

	@Parameter(label = "Empty tile: std below (0-255)", min = "0")
	private double min_tile_std = 2;

	@Parameter(label = "Empty tile: background fraction above", min = "0.01", max = "1")
	private double max_background = 0.95;

	@Parameter(label = "ROIs from", choices = {"ROI Manager", "image overlay", "none"})
	private String rois = "ROI Manager";

	@Parameter(label = "Write ROI masks (masked loss)")
	private boolean masks = false;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String captionsHeading = "<html><b>Captions</b>";

	@Parameter(label = "Trigger token", required = false)
	private String token = "";

	@Parameter(label = "Captions from", choices = {"template", SLICE_LABEL})
	private String caption_source = "template";

	@Parameter(label = "Caption template", required = false,
		description = "Fields: {token} {title} {file} {slice_label} {index} {c} {z} {t} {channels} {slices} {frames} "
			+ "{width} {height} {x} {y} {roi} {pixel_width} {pixel_height} {pixel_depth} {unit} {prop:KEY}")
	private String caption_template = "a microscopy image of {token}";

	@Parameter(label = "Caption prefix", required = false)
	private String caption_prefix = "";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String hygieneHeading = "<html><b>Duplicates and validation split</b>";

	@Parameter(label = "Remove duplicates")
	private boolean remove_duplicates = false;

	@Parameter(label = "Near-duplicate distance (-1 = exact only)", min = "-1", max = "64")
	private int near_duplicate_distance = 4;

	@Parameter(label = "Validation fraction", min = "0", max = "0.9")
	private double validation_fraction = 0;

	@Parameter(label = "Split seed")
	private long seed = 42;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String provenanceHeading = "<html><b>Provenance</b> (recorded in dataset.json)";

	/** Not {@code source}: ImageJ's Macro.getValue would find {@code source=} inside {@code caption_source=}. */
	@Parameter(label = "Image source (URL, DOI, instrument)", required = false)
	private String image_source = "";

	@Parameter(label = "Licence (e.g. CC-BY-4.0)", required = false)
	private String licence = "";

	@Parameter(label = "Attribution", required = false)
	private String attribution = "";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false, required = false)
	private String outputHeading = "<html><b>Output</b>";

	@Parameter(label = "Dataset folder", style = FileWidget.DIRECTORY_STYLE)
	private File out_dir;

	@Parameter(label = "Formats", choices = {"invoke-jsonl", "caption-dir", "diffusers", "all"})
	private String formats = "invoke-jsonl";

	@Parameter(label = "If the folder holds a dataset", choices = {"refuse", "add", "replace"})
	private String if_exists = "refuse";

	@Parameter(label = "Check the dataset for", choices = {"lora", "textual-inversion", "no check"})
	private String check_for = "lora";

	@Parameter(type = ItemIO.OUTPUT, label = "Report")
	private String report;

	@Parameter(type = ItemIO.OUTPUT, label = "Dataset")
	private String dataset_path;

	/**
	 * The inputs a choice of input, sizing and caption source does not use (for the dialog to leave out; their
	 * values are kept, so a recorded macro still has every key).
	 */
	static Set<String> unusedInputs(String input, String sizing, String captionSource) {
		Set<String> out = new LinkedHashSet<>();
		if (!CURRENT.equals(input)) out.add("image");
		if (!FOLDER.equals(input)) {
			out.add("folder");
			out.add("recursive");
		}
		if (!TILE.equals(sizing)) out.addAll(List.of("tile_overlap", "min_tile_std", "max_background"));
		// ROIs come from open images only; the crops need them, masks may use them with any sizing
		if (FOLDER.equals(input)) out.addAll(List.of("rois", "masks"));
		if (SLICE_LABEL.equals(captionSource)) out.add("caption_template");
		return out;
	}

	@Override
	public void run() {
		try {
			DatasetOptions o = options();
			List<ImageSource> sources = sources();
			DatasetBuildRequest req = new DatasetBuildRequest(o.withProvenance(sources), out_dir.toPath(), o.formatList(),
				o.existingPolicy(), o.settings());
			BuildReport r = DatasetBuilder.build(req, new DatasetStatusProgress(status, this::isCanceled));
			StringBuilder sb = new StringBuilder(r.summary());
			if (!check_for.equals("no check")) {
				sb.append(DatasetCheck.format(DatasetCheck.check(r.dataset(), DatasetCheck.Method.parse(check_for), token,
					resolution))).append('\n');
			}
			report = sb.toString();
			dataset_path = r.outputDir().toString();
			log.info(report);
			status.showStatus("Dataset written to " + dataset_path);
		}
		catch (CancellationException e) {
			report = "cancelled; nothing was written (an interrupted build never looks complete)";
			Stops.cancelled(this, log, status, "Build Captioned Dataset", report);
		}
		catch (IOException | IllegalArgumentException e) {
			report = e.getMessage();
			Stops.failed(this, log, "Build Captioned Dataset", report);
		}
	}

	DatasetOptions options() {
		if (out_dir == null || out_dir.getPath().isBlank()) throw new IllegalArgumentException(
			"choose a dataset folder (out_dir)");
		DatasetOptions o = new DatasetOptions();
		o.formats = formats;
		o.ifExists = if_exists;
		o.planes = planes;
		o.channels = nz(channels);
		o.slices = nz(slices);
		o.frames = nz(frames);
		o.normalization = normalization;
		o.saturation = saturation;
		o.sizing = sizing;
		o.resolution = resolution;
		o.tileOverlap = tile_overlap;
		o.minTileStd = min_tile_std;
		o.maxBackground = max_background;
		o.masks = masks;
		o.token = nz(token);
		o.captionTemplate = nz(caption_template);
		o.captionPrefix = nz(caption_prefix);
		o.captionSource = caption_source;
		o.removeDuplicates = remove_duplicates;
		o.nearDuplicateDistance = near_duplicate_distance;
		o.validationFraction = validation_fraction;
		o.seed = seed;
		o.source = nz(image_source);
		o.licence = nz(licence);
		o.attribution = nz(attribution);
		return o;
	}

	private List<ImageSource> sources() throws IOException {
		List<ImageSource> out = new ArrayList<>();
		switch (input) {
			case FOLDER -> {
				if (folder == null || folder.getPath().isBlank()) throw new IllegalArgumentException(
					"input is 'folder' but no image folder was chosen (folder)");
				return ImageSource.folder(folder.toPath(), recursive);
			}
			case ALL_OPEN -> {
				int[] ids = WindowManager.getIDList();
				if (ids == null || ids.length == 0) throw new IllegalArgumentException("no image is open");
				for (int id : ids) {
					ImagePlus imp = WindowManager.getImage(id);
					if (imp != null) out.add(ImageSource.of(imp).withRois(rois(imp)));
				}
			}
			default -> {
				ImagePlus imp = image != null ? image : WindowManager.getCurrentImage();
				if (imp == null) throw new IllegalArgumentException("no image: open one or choose input 'folder'");
				out.add(ImageSource.of(imp).withRois(rois(imp)));
			}
		}
		return out;
	}

	/** ROIs are only handed on where they are used: ROI crops and masks. */
	private List<Roi> rois(ImagePlus imp) {
		if (!masks && !sizing.equals(ROI_CROPS)) return List.of();
		if (rois.equals("ROI Manager")) {
			RoiManager rm = RoiManager.getInstance();
			if (rm == null || rm.getCount() == 0) return List.of();
			return Arrays.asList(rm.getRoisAsArray());
		}
		if (rois.equals("image overlay")) {
			Overlay ov = imp.getOverlay();
			return ov == null ? List.of() : Arrays.asList(ov.toArray());
		}
		return List.of();
	}

	private static String nz(String s) {
		return s == null ? "" : s;
	}
}
