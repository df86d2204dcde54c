// dataset_edit_captions_as_stack.ijm -- DiffuseJ: open a dataset as a stack (captions become slice labels), edit
// the captions with macro code, write them back, and check the dataset. Works headless, where the caption window
// (Plugins > DiffuseJ > Edit Dataset Captions) is not available.
//
// Run in Fiji:  Plugins > Macros > Run... (you are asked for the dataset folder)
// Headless:     ImageJ-linux64 --headless --console -macro dataset_edit_captions_as_stack.ijm "/path/to/dataset"

trigger = "<my-cell>";
dataset = getArgument();
if (dataset == "") dataset = getDirectory("Choose a DiffuseJ dataset folder");

run("Open Dataset as Stack", "dataset=[" + dataset + "]");
for (i = 1; i <= nSlices; i++) {
	setSlice(i);
	caption = getInfo("slice.label");
	// "cell" becomes "cell nucleus" as a word of its own, never inside the trigger: no '-' or '<' before it and
	// no '-' or '>' after it (a plain \bcell\b would turn <my-cell> into <my-cell nucleus>).
	caption = replace(caption, "(?<![-<\\w])cell(?![->\\w])", "cell nucleus");
	// every caption should carry the trigger
	if (indexOf(caption, trigger) < 0) caption = trigger + ", " + caption;
	setMetadata("Label", caption);
}
run("Save Stack Captions to Dataset", "stack=[" + getTitle() + "]");
run("Check Dataset", "dataset=[" + dataset + "] method=textual-inversion token=" + trigger + " resolution=512");
