// generate_lora_grids.ijm -- DiffuseJ batch: a seed grid for each LoRA file in a folder.
//
// WHAT IT DOES: for every .safetensors LoRA in loraDir, runs Plugins > DiffuseJ > Generate Images with the grid
// "seeds x lora weights": rows are `seeds` seeds (the same for every LoRA), columns the LoRA at each of
// `weights` (0 = the base model, so each grid shows what its LoRA changes). Each grid's montage is saved as
// <lora>-grid.png, and its cells as PNGs with their settings in <outDir>/<lora>/. The LoRAs can come from any
// tool; train_lora_ranks.ijm collects the ones it trains (one per rank) in <its outDir>/loras/ for this macro.
//
// WHAT TO EDIT: modelPath, loraDir, outDir, prompt (use the LoRA's trigger), and the settings below.
// Run in Fiji:  Plugins > Macros > Run...
// Headless:     ImageJ-linux64 --headless --console -macro generate_lora_grids.ijm \
//                 "/path/to/model,/path/to/loras,/path/to/out[,size,steps]"

modelPath = "/path/to/stable-diffusion-v1-5";   // EDIT: diffusers folder or .safetensors file
loraDir   = "/path/to/loras";                   // EDIT: folder with the LoRA .safetensors files
outDir    = "/path/to/lora-grids";              // EDIT: where the grids go
prompt    = "a fluorescence micrograph of <my-cell>, high detail";
negative  = "blurry, low quality";
seeds     = 4;                                  // rows: seeds 42, 43, ...
seed      = 42;
weights   = "0,0.5,1";                          // columns: LoRA weights
steps     = 25;
size      = 512;
sampler   = "DPM++ 2M Karras";

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	modelPath = parts[0];
	loraDir = parts[1];
	outDir = parts[2];
	if (parts.length > 3) size = parseInt(parts[3]);
	if (parts.length > 4) steps = parseInt(parts[4]);
}
if (!endsWith(loraDir, File.separator)) loraDir = loraDir + File.separator;
if (!endsWith(outDir, File.separator)) outDir = outDir + File.separator;
File.makeDirectory(outDir);

files = getFileList(loraDir);
grids = 0;
for (i = 0; i < files.length; i++) {
	if (!endsWith(toLowerCase(files[i]), ".safetensors")) continue;
	stem = substring(files[i], 0, lengthOf(files[i]) - lengthOf(".safetensors"));
	cells = outDir + stem;
	File.makeDirectory(cells);
	run("Generate Images", "model=[" + modelPath + "] tokenizer_dir=[]"
		+ " prompt=[" + prompt + "] negative=[" + negative + "]"
		+ " steps=" + steps + " guidance_scale=7.5 sampler=[" + sampler + "] seed=" + seed
		+ " width=" + size + " height=" + size + " number_of_images=" + seeds + " clip_skip=1 long_prompts=chunk"
		+ " prediction_type=[auto (from the model)]"
		+ " loras=[" + loraDir + files[i] + "] embeddings=[]"
		+ " grid=[seeds x lora weights] lora_weights=[" + weights + "]"
		+ " output_dir=[" + cells + "]");
	// the montage is the newest window; save it, then close this LoRA's windows
	for (w = nImages; w >= 1; w--) {
		selectImage(w);
		if (endsWith(getTitle(), " montage")) {
			saveAs("PNG", outDir + stem + "-grid.png");
			break;
		}
	}
	close("*");
	grids++;
}
print("DiffuseJ: " + grids + " LoRA grid(s) in " + outDir);
