// DiffuseJ: build a captioned dataset from the open stack or hyperstack.
// Each channel, slice and frame becomes a 512x512 training image (16/32-bit data get a per-stack
// percentile contrast), captioned from a template that uses the calibration and the slice labels.
//
// Run in Fiji:   Plugins>Macros>Run...  (with an image open)
// Headless:      ImageJ-linux64 --headless --console -macro dataset_from_open_stack.ijm "/path/to/stack.tif,/path/to/out"

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
	"input=[current image] recursive=false out_dir=[" + out + "] formats=invoke-jsonl if_exists=refuse " +
	"planes=all channels=[] slices=[] frames=[] " +
	"normalization=per-stack saturation=0.35 " +
	"sizing=resize-crop resolution=512 tile_overlap=64 min_tile_std=2 max_background=0.95 " +
	"rois=none masks=false " +
	"token=<nuclei> caption_template=[a fluorescence microscopy image of {token}, {slice_label}, {pixel_width} {unit} per pixel] " +
	"caption_prefix=[] caption_source=template " +
	"remove_duplicates=true near_duplicate_distance=4 validation_fraction=0.1 seed=42 " +
	"source=[our confocal, 2026] licence=[CC-BY-4.0] attribution=[Imaging facility] check_for=textual-inversion");
