// dataset_from_folder.ijm -- DiffuseJ: build a dataset from every image in a folder (TIFF, PNG, JPEG, ...).
// Files ImageJ cannot open are listed in the report and in dataset.json, then skipped. Licence and attribution
// go into dataset.json.
//
// Run in Fiji:  Plugins > Macros > Run... (you are asked for the image folder and an empty output folder)
// Headless:     ImageJ-linux64 --headless --console -macro dataset_from_folder.ijm "/path/to/images,/path/to/out"

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	in = parts[0];
	out = parts[1];
} else {
	in = getDirectory("Folder with the images");
	out = getDirectory("Choose an empty folder for the dataset");
}

run("Build Captioned Dataset",
	"input=folder folder=[" + in + "] recursive=true planes=composite channels=[] slices=[] frames=[] " +
	"normalization=per-image saturation=0.35 " +
	"sizing=resize-crop resolution=512 tile_overlap=64 min_tile_std=2 max_background=0.95 " +
	"rois=none masks=false " +
	"token=<my-cell> caption_source=template caption_template=[a brightfield image of {token}, {title}] " +
	"caption_prefix=[] " +
	"remove_duplicates=true near_duplicate_distance=4 validation_fraction=0.1 seed=7 " +
	"image_source=[https://doi.org/10.5281/zenodo.0000000] licence=[CC-BY-4.0] " +
	"attribution=[Example Lab, University of Somewhere] " +
	"out_dir=[" + out + "] formats=[invoke-jsonl] if_exists=add check_for=lora");
