// DiffuseJ: one training image per ROI in the ROI Manager (a square around each ROI, scaled to 256 px),
// with a mask PNG (255 = train) from the ROIs for masked-loss training. The caption names the ROI.
//
// Select cells with any area tool and press T to add them to the ROI Manager, then run this macro.

if (nImages == 0) exit("Open an image and add ROIs to the ROI Manager first");
if (roiManager("count") == 0) exit("The ROI Manager is empty");
out = getDirectory("Choose an empty folder for the dataset");

run("Build Captioned Dataset",
	"input=[current image] recursive=false out_dir=[" + out + "] formats=invoke-jsonl if_exists=refuse " +
	"planes=current-channel channels=[] slices=[] frames=[] " +
	"normalization=per-image saturation=0.35 " +
	"sizing=roi-crops resolution=256 tile_overlap=0 min_tile_std=2 max_background=0.95 " +
	"rois=[ROI Manager] masks=true " +
	"token=<mitotic-cell> caption_template=[{token}, {roi}] " +
	"caption_prefix=[] caption_source=template " +
	"remove_duplicates=false near_duplicate_distance=4 validation_fraction=0 seed=42 " +
	"source=[] licence=[] attribution=[] check_for=textual-inversion");
