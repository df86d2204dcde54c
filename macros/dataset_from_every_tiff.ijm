// dataset_from_every_tiff.ijm -- DiffuseJ batch: one dataset from every TIFF in a folder, one stack at a time.
// Each .tif/.tiff is opened, added to the dataset (if_exists=add keeps what earlier files added, with their
// provenance) and closed again, so a folder of large stacks never has to fit in memory at once. Use this instead
// of dataset_from_folder.ijm when each file needs its own settings (here: its own slice range).
//
// Run in Fiji:  Plugins > Macros > Run... (you are asked for the TIFF folder and an empty output folder)
// Headless:     ImageJ-linux64 --headless --console -macro dataset_from_every_tiff.ijm "/path/to/tiffs,/path/to/out"

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	in = parts[0];
	out = parts[1];
} else {
	in = getDirectory("Folder with the TIFF stacks");
	out = getDirectory("Choose an empty folder for the dataset");
}
if (!endsWith(in, File.separator)) in = in + File.separator;

setBatchMode(true);
files = getFileList(in);
added = 0;
for (i = 0; i < files.length; i++) {
	name = files[i];
	lower = toLowerCase(name);
	if (!endsWith(lower, ".tif") && !endsWith(lower, ".tiff")) continue;
	open(in + name);
	run("Build Captioned Dataset",
		"input=[current image] folder=[] recursive=false planes=all channels=[] slices=[] frames=[] " +
		"normalization=per-stack saturation=0.35 " +
		"sizing=tile resolution=64 tile_overlap=0 min_tile_std=2 max_background=0.95 " +
		"rois=none masks=false " +
		"token=<my-cell> caption_source=template caption_template=[a fluorescent micrograph of {token}, {title}, z {z}] " +
		"caption_prefix=[] " +
		"remove_duplicates=false near_duplicate_distance=4 validation_fraction=0 seed=42 " +
		"image_source=[" + name + "] licence=[CC0-1.0] attribution=[] " +
		"out_dir=[" + out + "] formats=invoke-jsonl if_exists=add check_for=[no check]");
	close("*");
	added++;
}
setBatchMode(false);
print("DiffuseJ: added " + added + " TIFF file(s) from " + in + " to " + out);
run("Check Dataset", "dataset=[" + out + "] method=textual-inversion token=<my-cell> resolution=64");
