/**
 * Captioned training datasets: building them from ImageJ images (plane selection, conversion to 8-bit RGB,
 * sizing, tiling, ROI crops, captions, duplicates, split), writing and reading the formats that invoke-training,
 * kohya and diffusers read, and checking a dataset before training.
 *
 * <p>GUI-free: this package uses {@code ij.ImagePlus}, {@code ij.process} and {@code ij.gui.Roi} as data only and
 * never opens windows. Entry points: {@link io.github.diffusej.data.DatasetBuilder} and
 * {@link io.github.diffusej.data.DatasetReader}.
 */
package io.github.diffusej.data;
