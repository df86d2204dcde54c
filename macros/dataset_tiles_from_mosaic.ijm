// DiffuseJ: cut a large mosaic (e.g. a stitched slide scan) into 512x512 training tiles with 64 px overlap.
// Tiles that are almost flat (luminance std below 4) or mostly background (more than 90 % of the pixels at
// the background level) are skipped; the report lists how many.
//
// Headless:  ImageJ-linux64 --headless --console -macro dataset_tiles_from_mosaic.ijm "/path/to/mosaic.tif,/path/to/out"

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	open(parts[0]);
	out = parts[1];
} else {
	if (nImages == 0) exit("Open the mosaic first");
	out = getDirectory("Choose an empty folder for the dataset");
}

run("Build Captioned Dataset",
	"input=[current image] recursive=false out_dir=[" + out + "] formats=all if_exists=refuse " +
	"planes=composite channels=[] slices=[] frames=[] " +
	"normalization=display-range saturation=0.35 " +
	"sizing=tile resolution=512 tile_overlap=64 min_tile_std=4 max_background=0.9 " +
	"rois=none masks=false " +
	"token=<he-tissue> caption_template=[an H&E stained tissue section, {token}, tile at {x} {y}] " +
	"caption_prefix=[] caption_source=template " +
	"remove_duplicates=false near_duplicate_distance=4 validation_fraction=0 seed=42 " +
	"source=[] licence=[] attribution=[] check_for=lora");
