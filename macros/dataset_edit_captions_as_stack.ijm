// DiffuseJ: open a dataset as a stack (captions become slice labels), edit the captions with macro code,
// write them back, and check the dataset. Works headless, where the caption window is not available.
//
// Headless:  ImageJ-linux64 --headless --console -macro dataset_edit_captions_as_stack.ijm "/path/to/dataset"

dataset = getArgument();
if (dataset == "") dataset = getDirectory("Choose a DiffuseJ dataset folder");

run("Open Dataset as Stack", "dataset=[" + dataset + "]");
for (i = 1; i <= nSlices; i++) {
	setSlice(i);
	caption = getInfo("slice.label");
	// every caption should carry the trigger token; make "cell" read "cell nucleus"
	caption = replace(caption, "\\bcell\\b", "cell nucleus");
	if (indexOf(caption, "<nuclei>") < 0) caption = "<nuclei>, " + caption;
	setMetadata("Label", caption);
}
run("Save Stack Captions to Dataset", "stack=[" + getTitle() + "]");
run("Check Dataset", "dataset=[" + dataset + "] method=textual-inversion token=<nuclei> resolution=512");
