/**
 * Single-file LDM checkpoints (the original CompVis/Stability layout that A1111, ComfyUI and InvokeAI users have):
 * {@link io.github.diffusej.model.ldm.LdmKeyMap} is the one table of renames, splits, reshapes and ignorable keys;
 * {@link io.github.diffusej.model.ldm.LdmCheckpoint} detects the family and checks a file;
 * {@link io.github.diffusej.model.ldm.LdmWeightSource} presents one component under reference names, transforming
 * each tensor when it is loaded.
 */
package io.github.diffusej.model.ldm;
