// train_textual_inversion.ijm -- DiffuseJ: train a textual-inversion embedding for <my-cell> on a dataset folder.
//
// WHAT IT DOES: runs Plugins > DiffuseJ > Train Textual Inversion with the settings below: a new token <my-cell>,
// started from the word "cell", is learned from the captioned dataset (made with Build Captioned Dataset or any
// folder of images with .txt captions) while the model stays frozen. The run folder gets config.json (rerun or
// change it), loss.csv and loss.png, validation/step_N/*.png, resumable checkpoints, and the results:
//   <runDir>/<outputName>.safetensors   (emb_params, as A1111 writes it)  and  learned_embeds.safetensors (diffusers)
// which Generate Images takes as embeddings=[<file>:<my-cell>]. In Fiji the training window shows the loss, the
// validation images and Cancel / Save now / Finish; Esc cancels too, and a cancelled run resumes (resume=true).
//
// WHAT TO EDIT: modelPath, datasetDir, runDir (a new, empty folder), and the settings below.
//   - steps / learningRate: 1000-3000 steps at 5e-3 is usual for SD 1.5; resolution 0 = the model's native size.
//   - captions: "object" or "style" (the textual-inversion prompt templates) or "dataset" (the dataset's captions,
//     with initWord replaced by the token).
//   - validationPrompts: separated by |; {token} is the token, {caption} a training caption; "" = none.
//   - otherSettings: any other config key, e.g. "optimizer.weight_decay=0; data.flip=true; validation.steps=30".
// Keys of run(...) are the command's field names, as the macro recorder writes them; an unused file is [];
// true/false and small numbers are written as strings ("true", "1e-4"): a macro prints true as 1.
// Headless: ImageJ-linux64 --headless --console -macro train_textual_inversion.ijm \
//             "/path/to/model,/path/to/dataset,/path/to/run[,steps,resolution,validationEvery,otherSettings]"

modelPath      = "/path/to/stable-diffusion-v1-5";   // EDIT: diffusers folder or .safetensors file
datasetDir     = "/path/to/dataset";                 // EDIT: a dataset folder
runDir         = "/path/to/runs/my-cell-ti";         // EDIT: the run folder (new), or the run to resume
token          = "<my-cell>";
initWord       = "cell";
steps          = 1500;
learningRate   = "0.005";                            // a string: ImageJ would print 1E-4 for 0.0001
resume         = "false";                            // "true": continue runDir from its newest checkpoint
vectors        = 1;
captions       = "object";                           // object, style or dataset
batchSize      = 1;
accumulation   = 1;
epochs         = 0;                                  // 0 = train for `steps`
resolution     = 0;                                  // 0 = the model's native size (512 for SD 1.5)
optimizer      = "adamw";                            // adamw or prodigy
scheduler      = "constant";                         // constant, constant_with_warmup, linear, cosine, ...
warmup         = 0;
seed           = 42;
mixedPrecision = "no";                               // no, or fp16 on a GPU
checkpointing  = "false";                            // gradient checkpointing: less memory, slower
validationPrompts = "a fluorescence micrograph of {token}|{caption}";
validationEvery   = 250;                             // 0 = only at the start and the end
checkpointEvery   = 250;
outputName     = "my-cell";                          // the result is <runDir>/my-cell.safetensors
otherSettings  = "";

arg = getArgument();
if (arg != "") {
	parts = split(arg, ",");
	modelPath = parts[0];
	datasetDir = parts[1];
	runDir = parts[2];
	if (parts.length > 3) steps = parseInt(parts[3]);
	if (parts.length > 4) resolution = parseInt(parts[4]);
	if (parts.length > 5) { validationEvery = parseInt(parts[5]); checkpointEvery = validationEvery; }
	if (parts.length > 6) otherSettings = parts[6];
}

options = "model=[" + modelPath + "] dataset=[" + datasetDir + "] run_dir=[" + runDir + "]"
	+ " token=[" + token + "] init=[" + initWord + "] steps=" + steps + " learning_rate=" + learningRate
	+ " resume=" + resume
	+ " tokenizer_dir=[] config_file=[] init_file=[] vectors=" + vectors + " captions=" + captions
	+ " batch_size=" + batchSize + " accumulation=" + accumulation + " epochs=" + epochs
	+ " resolution=" + resolution + " optimizer=" + optimizer + " scheduler=" + scheduler + " warmup=" + warmup
	+ " seed=" + seed + " mixed_precision=" + mixedPrecision + " gradient_checkpointing=" + checkpointing
	+ " validation_prompts=[" + validationPrompts + "] validation_every=" + validationEvery
	+ " checkpoint_every=" + checkpointEvery + " output_name=[" + outputName + "]"
	+ " settings=[" + otherSettings + "]";
run("Train Textual Inversion", options);

// ImageJ macros cannot read a command's outputs; DiffuseJ keeps the last result for them
embedding = call("io.github.diffusej.fiji.TrainingRun.lastResultFile");
if (embedding == "") exit("DiffuseJ: the training did not finish; see the Log (a cancelled run resumes with resume=true)");
print("DiffuseJ: textual inversion of " + token + " in " + call("io.github.diffusej.fiji.TrainingRun.lastRunFolder"));
print("  embedding: " + embedding);
print("  use it in Generate Images: embeddings=[" + embedding + ":" + token + "]");
