// train_lora_ranks.ijm -- DiffuseJ batch: one LoRA per rank (e.g. 4, 8, 16) on the same dataset, to compare them.
//
// WHAT IT DOES: for each rank in `ranks`, runs Plugins > DiffuseJ > Train LoRA with the settings below (alpha =
// rank, so every LoRA has scale 1; the same seed, steps and data for all) in its own run folder
// <outDir>/rank-<r>/ (config.json, loss.csv and loss.png, validation images, checkpoints, the LoRA), then copies
// each LoRA to <outDir>/loras/my-cell-r<r>.safetensors. Then run generate_lora_grids.ijm on <outDir>/loras to see
// one seed x weight grid per rank side by side. The trigger <my-cell> is put into every caption that lacks it;
// the LoRA files (kohya layout) also load in InvokeAI, ComfyUI, A1111 and diffusers.
//
// WHAT TO EDIT: modelPath, datasetDir, outDir (a new folder), ranks, and the settings below.
//   - steps / learningRate: 1000-2000 steps at 1e-4 is usual for SD 1.5 LoRAs; resolution 0 = the native size.
//   - targets: attention (to_q, to_k, to_v, to_out.0) or extended (also feed-forward, resnet convs, ...).
//   - dora = "true" trains DoRA adapters instead; textEncoder = "true" adapts the text encoder too.
//   - otherSettings: any other config key, e.g. "lora.conv_rank=4; lora.conv_alpha=4; data.flip=true".
// A failed or cancelled run stops the macro; a cancelled run resumes with resume=true on its folder.
// Headless: ImageJ-linux64 --headless --console -macro train_lora_ranks.ijm \
//             "/path/to/model,/path/to/dataset,/path/to/out[,ranks (space-separated),steps,resolution,otherSettings]"

modelPath      = "/path/to/stable-diffusion-v1-5";   // EDIT: diffusers folder or .safetensors file
datasetDir     = "/path/to/dataset";                 // EDIT: a dataset folder
outDir         = "/path/to/runs/my-cell-ranks";      // EDIT: one run folder per rank is made in it
ranks          = "4,8,16";
trigger        = "<my-cell>";
replaceWord    = "";                                 // e.g. "cell": that caption word becomes the trigger
steps          = 1500;
learningRate   = "1e-4";                             // a string: ImageJ would print 1E-4 for 0.0001
dora           = "false";
targets        = "attention";                        // attention or extended
textEncoder    = "false";
batchSize      = 1;
resolution     = 0;                                  // 0 = the model's native size (512 for SD 1.5)
seed           = 42;
mixedPrecision = "no";                               // no, or fp16 on a GPU
checkpointing  = "false";                            // gradient checkpointing: less memory, slower
validationPrompts = "a fluorescence micrograph of {token}";
validationEvery   = 250;                             // 0 = only at the start and the end
otherSettings  = "";

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	modelPath = parts[0];
	datasetDir = parts[1];
	outDir = parts[2];
	if (parts.length > 3) ranks = parts[3];
	if (parts.length > 4) steps = parseInt(parts[4]);
	if (parts.length > 5) resolution = parseInt(parts[5]);
	if (parts.length > 6) otherSettings = parts[6];
}
if (!endsWith(outDir, File.separator)) outDir = outDir + File.separator;
File.makeDirectory(outDir);
loraDir = outDir + "loras" + File.separator;
File.makeDirectory(loraDir);

list = split(ranks, ", ");
for (i = 0; i < list.length; i++) {
	rank = parseInt(list[i]);
	name = "my-cell-r" + rank;
	options = "model=[" + modelPath + "] dataset=[" + datasetDir + "] run_dir=[" + outDir + "rank-" + rank + "]"
		+ " trigger=[" + trigger + "] replace_word=[" + replaceWord + "] steps=" + steps
		+ " learning_rate=" + learningRate + " rank=" + rank + " alpha=" + rank + " resume=false"
		+ " tokenizer_dir=[] config_file=[] dora=" + dora + " targets=" + targets + " target_pattern=[]"
		+ " text_encoder=" + textEncoder + " text_encoder_rate=0 train_token=false token_init=cell"
		+ " caption_dropout=0 shuffle_tags=false keep_tags=0 regularization=[] regularization_weight=1"
		+ " batch_size=" + batchSize + " accumulation=1 epochs=0 resolution=" + resolution
		+ " optimizer=adamw scheduler=constant warmup=0 seed=" + seed + " mixed_precision=" + mixedPrecision
		+ " gradient_checkpointing=" + checkpointing
		+ " validation_prompts=[" + validationPrompts + "] validation_every=" + validationEvery
		+ " checkpoint_every=" + validationEvery + " output_name=[" + name + "] settings=[" + otherSettings + "]";
	run("Train LoRA", options);
	lora = call("io.github.diffusej.fiji.TrainingRun.lastResultFile");
	if (lora == "") exit("DiffuseJ: the LoRA of rank " + rank + " did not finish; see the Log");
	File.copy(lora, loraDir + name + ".safetensors");
	print("DiffuseJ: rank " + rank + ": " + lora);
	close("*"); // the validation stack of this run
}
print("DiffuseJ: " + list.length + " LoRA(s) in " + loraDir + "; compare them with generate_lora_grids.ijm on that folder");
