// dataset_roi_crops_with_masks.ijm -- DiffuseJ: one training image per ROI in the ROI Manager (a square around
// each ROI, scaled to 256 px), with a mask PNG (255 = train) from the ROIs for masked-loss training. The caption
// names the ROI.
//
// Run in Fiji:  select cells with any area tool, press T to add them to the ROI Manager, then run this macro.
// Headless:     ImageJ-linux64 --headless --console -macro dataset_roi_crops_with_masks.ijm \
//                 "/path/to/image.tif,/path/to/RoiSet.zip,/path/to/out"

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	open(parts[0]);
	roiManager("reset");
	roiManager("open", parts[1]);
	out = parts[2];
} else {
	if (nImages == 0) exit("Open an image and add ROIs to the ROI Manager first");
	if (roiManager("count") == 0) exit("The ROI Manager is empty");
	out = getDirectory("Choose an empty folder for the dataset");
}

run("Build Captioned Dataset",
	"input=[current image] folder=[] recursive=false planes=current-channel channels=[] slices=[] frames=[] " +
	"normalization=per-image saturation=0.35 " +
	"sizing=roi-crops resolution=256 tile_overlap=0 min_tile_std=2 max_background=0.95 " +
	"rois=[ROI Manager] masks=true " +
	"token=<my-cell> caption_source=template caption_template=[{token}, {roi}] caption_prefix=[] " +
	"remove_duplicates=false near_duplicate_distance=4 validation_fraction=0 seed=42 " +
	"image_source=[] licence=[] attribution=[] " +
	"out_dir=[" + out + "] formats=invoke-jsonl if_exists=refuse check_for=textual-inversion");
