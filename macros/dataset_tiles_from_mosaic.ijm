// dataset_tiles_from_mosaic.ijm -- DiffuseJ: cut a large mosaic (e.g. a stitched slide scan) into 512x512
// training tiles with 64 px overlap. Tiles that are almost flat (luminance std below 4) or mostly background (more
// than 90 % of the pixels at the background level) are skipped; the report lists how many.
//
// Run in Fiji:  Plugins > Macros > Run... (with the mosaic open)
// Headless:     ImageJ-linux64 --headless --console -macro dataset_tiles_from_mosaic.ijm "/path/to/mosaic.tif,/path/to/out"

arg = getArgument();
tile = 512;
overlap = 64;
if (arg != "") {
	parts = split(arg, ",");
	open(parts[0]);
	out = parts[1];
	if (parts.length > 2) tile = parseInt(parts[2]); // a smaller tile for small test mosaics
	if (parts.length > 3) overlap = parseInt(parts[3]);
} else {
	if (nImages == 0) exit("Open the mosaic first");
	out = getDirectory("Choose an empty folder for the dataset");
}

run("Build Captioned Dataset",
	"input=[current image] folder=[] recursive=false planes=composite channels=[] slices=[] frames=[] " +
	"normalization=display-range saturation=0.35 " +
	"sizing=tile resolution=" + tile + " tile_overlap=" + overlap + " min_tile_std=4 max_background=0.9 " +
	"rois=none masks=false " +
	"token=<my-cell> caption_source=template caption_template=[a stained tissue section with {token}, tile at {x} {y}] " +
	"caption_prefix=[] " +
	"remove_duplicates=false near_duplicate_distance=4 validation_fraction=0 seed=42 " +
	"image_source=[] licence=[] attribution=[] " +
	"out_dir=[" + out + "] formats=all if_exists=refuse check_for=lora");
