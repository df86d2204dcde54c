// generate_images.ijm -- DiffuseJ: generate images with a Stable Diffusion 1.x/2.x model from a macro.
//
// WHAT IT DOES: runs Plugins > DiffuseJ > Generate Images with the settings below. The result is an RGB stack,
// one slice per seed (slice labels "seed N: prompt"; every setting in Image > Show Info, so any slice can be
// regenerated). With a grid there is also a labelled montage. With an output folder each finished image is
// saved at once as a PNG whose text chunks hold its settings (A1111 "parameters" + diffusej:* keys).
//
// WHAT TO EDIT: modelPath (a diffusers folder or a single .safetensors checkpoint), prompt, and any setting below.
//   - width/height: 0 = the model's native size (512 for SD 1.5, 768 for SD 2.x 768-v); otherwise multiples of 64
//     for SD 1.x/2.x (8 x the VAE factor 8).
//   - predictionType: "auto (from the model)", "epsilon" or "v_prediction"; set epsilon for an SD 2.x 512-base
//     single file (single SD 2.x files are taken as 768-v models otherwise).
//   - seed: -1 = random; image i uses seed + i; the seed used is in the slice labels and the log.
//   - loras:      "path:weight;path2:weight"   (weight optional, default 1), e.g. "/loras/cells.safetensors:0.8"
//   - embeddings: "path[:token];path2[:token]" (token optional: the file's own trigger or its file name)
//   - grid: "none"; "seeds x prompts" (rows = seeds, columns = the prompts separated by | in prompt);
//           "seeds x lora weights" (columns = lora_weights, applied to the FIRST LoRA in loras).
//   - outputDir: "" = do not save PNGs.
// Keys of run(...) are the command's field names, as the macro recorder writes them; values with spaces go in
// [brackets] (so a value must not contain ']'); an unused folder is [].
// Headless: ImageJ-linux64 --headless --console -macro generate_images.ijm "/path/to/model,/path/to/out[,size,steps]"
// Stop a run with Esc or the Cancel button in the status bar: finished PNGs stay, no half-written file is left.

modelPath    = "/path/to/stable-diffusion-v1-5";   // EDIT: diffusers folder or .safetensors file
tokenizerDir = "";                                 // only for a single file without a tokenizer/ folder beside it
prompt       = "fluorescence microscopy image of <my-cell>, nuclei stained with DAPI, high detail";
negative     = "blurry, low quality, text, watermark";
steps        = 25;
guidance     = 7.5;
sampler      = "DPM++ 2M Karras";                  // DDIM, Euler, Euler a, DPM++ 2M, DPM++ 2M Karras, PLMS
seed         = 42;
width        = 0;                                  // 0 = the model's native size
height       = 0;
predictionType = "auto (from the model)";          // or epsilon, v_prediction
images       = 4;                                  // number of images (= rows of a grid)
clipSkip     = 1;                                  // 1 = last CLIP layer, 2 = penultimate
longPrompts  = "chunk";                            // chunk or truncate
loras        = "";                                 // e.g. "/path/to/cells_lora.safetensors:0.8"
embeddings   = "";                                 // e.g. "/path/to/learned_embeds.safetensors:<my-cell>"
grid         = "none";                             // none, seeds x prompts, seeds x lora weights
loraWeights  = "0,0.5,1";                          // columns of a "seeds x lora weights" grid
outputDir    = "";                                 // e.g. getDirectory("home") + "diffusej-out"

arg = getArgument();                               // "model,outputDir[,size,steps]" from the command line
if (arg != "") {
	parts = split(arg, ",");
	modelPath = parts[0];
	outputDir = parts[1];
	if (parts.length > 2) { width = parseInt(parts[2]); height = width; }
	if (parts.length > 3) steps = parseInt(parts[3]);
}

options = "model=[" + modelPath + "]"
	+ " tokenizer_dir=[" + tokenizerDir + "]"
	+ " prompt=[" + prompt + "]"
	+ " negative=[" + negative + "]"
	+ " steps=" + steps
	+ " guidance_scale=" + guidance
	+ " sampler=[" + sampler + "]"
	+ " seed=" + seed
	+ " width=" + width
	+ " height=" + height
	+ " prediction_type=[" + predictionType + "]"
	+ " number_of_images=" + images
	+ " clip_skip=" + clipSkip
	+ " long_prompts=" + longPrompts
	+ " loras=[" + loras + "]"
	+ " embeddings=[" + embeddings + "]"
	+ " grid=[" + grid + "]"
	+ " lora_weights=[" + loraWeights + "]"
	+ " output_dir=[" + outputDir + "]";
run("Generate Images", options);

// In Fiji the result stack is now shown (with a grid, the montage too); list its slices.
if (nImages > 0) {
	print("DiffuseJ: " + nSlices + " image(s) in '" + getTitle() + "'");
	for (i = 1; i <= nSlices; i++) {
		setSlice(i);
		print("  " + getInfo("slice.label"));
	}
}
