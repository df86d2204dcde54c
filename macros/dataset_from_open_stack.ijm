// dataset_from_open_stack.ijm -- DiffuseJ: build a captioned dataset from the open stack or hyperstack.
// Each channel, slice and frame becomes a 512x512 training image (16/32-bit data get a per-stack percentile
// contrast), captioned from a template that uses the calibration and the slice labels.
//
// Run in Fiji:  Plugins > Macros > Run... (with an image open; you are asked for an empty output folder)
// Headless:     ImageJ-linux64 --headless --console -macro dataset_from_open_stack.ijm "/path/to/stack.tif,/path/to/out"
// Keys of run(...) are the command's field names (as the macro recorder writes them); every key is passed, so no
// dialog opens. Values with spaces go in [brackets]; an unused folder is [].

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	open(parts[0]);
	out = parts[1];
} else {
	if (nImages == 0) exit("Open an image or stack first");
	out = getDirectory("Choose an empty folder for the dataset");
}

run("Build Captioned Dataset",
	"input=[current image] folder=[] recursive=false planes=all channels=[] slices=[] frames=[] " +
	"normalization=per-stack saturation=0.35 " +
	"sizing=resize-crop resolution=512 tile_overlap=64 min_tile_std=2 max_background=0.95 " +
	"rois=none masks=false " +
	"token=<my-cell> caption_source=template " +
	"caption_template=[a fluorescence microscopy image of {token}, {slice_label}, {pixel_width} {unit} per pixel] " +
	"caption_prefix=[] " +
	"remove_duplicates=true near_duplicate_distance=4 validation_fraction=0.1 seed=42 " +
	"image_source=[our confocal, 2026] licence=[CC-BY-4.0] attribution=[Imaging facility] " +
	"out_dir=[" + out + "] formats=invoke-jsonl if_exists=refuse check_for=textual-inversion");
