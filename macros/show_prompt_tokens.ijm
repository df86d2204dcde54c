// show_prompt_tokens.ijm -- DiffuseJ: how a model's tokenizer splits a prompt.
//
// WHAT IT DOES: runs Plugins > DiffuseJ > Show Prompt Tokens. Only the model's tokenizer is read (instant even
// for large checkpoints). The report counts the tokens against the 75-token window, lists words split into
// several pieces, names the embedding trigger tokens that were recognised, and warns about look-alikes
// (e.g. <MY-CELL> for <my-cell>: triggers are case sensitive) and <tokens> no loaded embedding defines.
// The report appears in the Log window (and as the command's text output).
//
// WHAT TO EDIT: modelPath (a diffusers folder or a single .safetensors checkpoint), prompt, and embeddings:
//   embeddings: "path[:token];path2[:token]"  (token optional: the file's own trigger or its file name)
// Keys are the command's field names; values with spaces go in [brackets].
// Headless: ImageJ-linux64 --headless --console -macro show_prompt_tokens.ijm "/path/to/model[,/path/to/embedding]"

modelPath    = "/path/to/stable-diffusion-v1-5";   // EDIT: diffusers folder or .safetensors file
tokenizerDir = "";                                 // only for a single file without a tokenizer/ folder beside it
prompt       = "fluorescence microscopy image of <my-cell>, nuclei stained with DAPI";
embeddings   = "";                                 // e.g. "/path/to/learned_embeds.safetensors:<my-cell>"

arg = getArgument();                               // "model[,embedding]" from the command line
if (arg != "") {
	parts = split(arg, ",");
	modelPath = parts[0];
	if (parts.length > 1) embeddings = parts[1];
}

run("Show Prompt Tokens", "model=[" + modelPath + "]"
	+ " tokenizer_dir=[" + tokenizerDir + "]"
	+ " prompt=[" + prompt + "]"
	+ " embeddings=[" + embeddings + "]");
