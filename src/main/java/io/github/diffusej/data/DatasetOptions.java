package io.github.diffusej.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.github.diffusej.data.DatasetBuildRequest.ExistingPolicy;

/**
 * The build options as the faces name them ({@code snake_case} in Fiji and macros, {@code --kebab-case} on the
 * command line), turned into {@link BuildSettings}. One place, so the command, the macro keys and the CLI stay
 * the same option set with the same defaults.
 */
public final class DatasetOptions {

	/** Name, value hint and help of each option, in the order the help lists them. */
	public static final String[][] OPTIONS = {
		{"formats", "F[,F]", "invoke-jsonl (default), caption-dir, diffusers, or all; the first is the one read back"},
		{"if_exists", "refuse|add|replace", "when the output folder holds a dataset (default refuse)"},
		{"planes", "all|current-channel|composite", "which planes of each image (default all)"},
		{"channels", "RANGE", "channel range such as 1-3,5 (default: all)"},
		{"slices", "RANGE", "z range (default: all)"},
		{"frames", "RANGE", "t range (default: all)"},
		{"normalization", "per-image|per-stack|display-range", "16/32-bit to 8-bit contrast (default per-image)"},
		{"saturation", "PERCENT", "saturated pixels for percentile contrast (default 0.35)"},
		{"sizing", "resize-crop|tile|roi-crops|keep", "how images are cut and scaled (default resize-crop)"},
		{"resolution", "PX", "side of the square training images (default 512)"},
		{"tile_overlap", "PX", "overlap of neighbouring tiles (default 64)"},
		{"min_tile_std", "GREY", "a tile whose luminance std (0-255) is below this is empty (default 2)"},
		{"max_background", "FRACTION", "a tile with more background than this is empty (default 0.95)"},
		{"masks", "true|false", "write ROI masks (255 = train) for masked loss (default false)"},
		{"token", "TEXT", "trigger token, value of {token}"},
		{"caption_template", "TEXT", "caption template (default 'a microscopy image of {token}')"},
		{"caption_prefix", "TEXT", "text before every caption"},
		{"caption_source", "template|slice-label", "captions from the template or the slice labels"},
		{"remove_duplicates", "true|false", "leave duplicates out instead of only reporting them"},
		{"near_duplicate_distance", "BITS", "dHash distance for near duplicates, -1 = exact only (default 4)"},
		{"validation_fraction", "FRACTION", "share held out for validation (default 0)"},
		{"seed", "N", "seed of the split (default 42)"},
		{"source", "TEXT", "where the images come from (URL, DOI, instrument)"},
		{"licence", "TEXT", "licence of the images (e.g. CC-BY-4.0)"},
		{"attribution", "TEXT", "who must be credited"},
	};

	public String formats = "invoke-jsonl";
	public String ifExists = "refuse";
	public String planes;
	public String channels = "";
	public String slices = "";
	public String frames = "";
	public String normalization;
	public double saturation;
	public String sizing;
	public int resolution;
	public int tileOverlap;
	public double minTileStd;
	public double maxBackground;
	public boolean masks;
	public String token;
	public String captionTemplate;
	public String captionPrefix;
	public String captionSource;
	public boolean removeDuplicates;
	public int nearDuplicateDistance;
	public double validationFraction;
	public long seed;
	public String source = "";
	public String licence = "";
	public String attribution = "";

	/** Options holding the defaults of {@link BuildSettings#defaults()}. */
	public DatasetOptions() {
		BuildSettings d = BuildSettings.defaults();
		planes = id(d.planes().mode());
		normalization = id(d.normalization().mode());
		saturation = d.normalization().saturation();
		sizing = id(d.sizing().mode());
		resolution = d.sizing().resolution();
		tileOverlap = d.sizing().tileOverlap();
		minTileStd = d.sizing().minTileStd();
		maxBackground = d.sizing().maxBackgroundFraction();
		masks = d.sizing().masks();
		token = d.captions().token();
		captionTemplate = d.captions().template();
		captionPrefix = d.captions().prefix();
		captionSource = id(d.captions().source());
		removeDuplicates = d.hygiene().removeDuplicates();
		nearDuplicateDistance = d.hygiene().nearDuplicateDistance();
		validationFraction = d.hygiene().validationFraction();
		seed = d.hygiene().seed();
	}

	/** {@code PER_IMAGE} as the faces write it: {@code per-image}. */
	public static String id(Enum<?> e) {
		return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/** Sets an option by name ({@code tile_overlap} or {@code tile-overlap}); bad values name the option. */
	public void set(String name, String value) {
		String key = name.toLowerCase(Locale.ROOT).replace('-', '_');
		try {
			switch (key) {
				case "formats", "format" -> formats = value;
				case "if_exists" -> ifExists = value;
				case "planes" -> planes = value;
				case "channels" -> channels = value;
				case "slices" -> slices = value;
				case "frames" -> frames = value;
				case "normalization", "normalisation" -> normalization = value;
				case "saturation" -> saturation = Double.parseDouble(value);
				case "sizing" -> sizing = value;
				case "resolution" -> resolution = Integer.parseInt(value);
				case "tile_overlap" -> tileOverlap = Integer.parseInt(value);
				case "min_tile_std" -> minTileStd = Double.parseDouble(value);
				case "max_background" -> maxBackground = Double.parseDouble(value);
				case "masks" -> masks = bool(value);
				case "token" -> token = value;
				case "caption_template", "template" -> captionTemplate = value;
				case "caption_prefix", "prefix" -> captionPrefix = value;
				case "caption_source" -> captionSource = value;
				case "remove_duplicates" -> removeDuplicates = bool(value);
				case "near_duplicate_distance" -> nearDuplicateDistance = Integer.parseInt(value);
				case "validation_fraction", "validation" -> validationFraction = Double.parseDouble(value);
				case "seed" -> seed = Long.parseLong(value);
				case "source" -> source = value;
				case "licence", "license" -> licence = value;
				case "attribution" -> attribution = value;
				default -> throw new IllegalArgumentException("unknown option '" + name + "'");
			}
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("option '" + name + "': '" + value + "' is not a number");
		}
	}

	/** Whether {@link #set} knows the option (boolean options may then be given without a value). */
	public static boolean isBoolean(String name) {
		String key = name.toLowerCase(Locale.ROOT).replace('-', '_');
		return key.equals("masks") || key.equals("remove_duplicates");
	}

	private static boolean bool(String v) {
		String s = v.trim().toLowerCase(Locale.ROOT);
		if (s.equals("true") || s.equals("yes") || s.equals("1")) return true;
		if (s.equals("false") || s.equals("no") || s.equals("0")) return false;
		throw new IllegalArgumentException("'" + v + "' is not true or false");
	}

	/** The settings; invalid values give an IllegalArgumentException naming the option and the allowed values. */
	public BuildSettings settings() {
		return new BuildSettings(
			new BuildSettings.PlaneSelection(BuildSettings.PlaneMode.parse(planes), channels, slices, frames),
			new BuildSettings.Normalization(BuildSettings.NormalizeMode.parse(normalization), saturation),
			new BuildSettings.Sizing(BuildSettings.SizingMode.parse(sizing), resolution, tileOverlap, minTileStd,
				maxBackground, masks),
			new BuildSettings.CaptionSettings(captionTemplate, captionPrefix, token,
				BuildSettings.CaptionSource.parse(captionSource)),
			new BuildSettings.Hygiene(removeDuplicates, nearDuplicateDistance, validationFraction, seed));
	}

	/** {@code invoke-jsonl,caption-dir} or {@code all}. */
	public List<DatasetFormat> formatList() {
		List<DatasetFormat> out = new ArrayList<>();
		for (String f : formats.split("[,+ ]+")) {
			if (f.isBlank()) continue;
			if (f.trim().equalsIgnoreCase("all")) return List.of(DatasetFormat.values());
			DatasetFormat df = DatasetFormat.parse(f);
			if (!out.contains(df)) out.add(df);
		}
		if (out.isEmpty()) throw new IllegalArgumentException("no output format given");
		return out;
	}

	public ExistingPolicy existingPolicy() {
		return ExistingPolicy.parse(ifExists);
	}

	/** Applies source, licence and attribution to each source that has none of its own. */
	public List<ImageSource> withProvenance(List<ImageSource> sources) {
		return sources.stream().map(s -> new ImageSource(s.image(), s.file(), s.rois(),
			s.source().isBlank() ? source : s.source(), s.licence().isBlank() ? licence : s.licence(),
			s.attribution().isBlank() ? attribution : s.attribution())).toList();
	}
}
