/**
 * Training data: from a {@link io.github.diffusej.data.Dataset} to batches of pixel arrays, captions and cached
 * latents, the same on every machine and resumable at any batch.
 *
 * <p>The pieces, in the order a training step uses them:
 * <ol>
 * <li>{@link io.github.diffusej.train.data.Buckets}: aspect-ratio buckets under a pixel-area budget (kohya's
 * {@code make_bucket_resolutions}), each image assigned to the bucket of nearest aspect ratio, sizes read from file
 * headers ({@link io.github.diffusej.train.data.ImageSize}).</li>
 * <li>{@link io.github.diffusej.train.data.BatchPlan}: the order of an epoch (shuffle within buckets, one bucket
 * per batch, batch order shuffled), a pure function of (seed, epoch), with repeats and regularisation items.</li>
 * <li>{@link io.github.diffusej.train.data.Placement}: how an image is resized and cropped into its bucket and
 * whether it is flipped, chosen before any pixel is decoded, so that the latent cache key is known first.</li>
 * <li>{@link io.github.diffusej.train.data.ImagePreparer}: the pixels ([3, H, W] in [-1, 1]) and the mask
 * ([H, W] in [0, 1]) of one item under a placement.</li>
 * <li>{@link io.github.diffusej.train.data.CaptionMaker}: the caption of an item for a step (textual-inversion
 * templates, trigger insertion, caption and tag dropout, tag shuffling).</li>
 * <li>{@link io.github.diffusej.train.data.LatentCache}: VAE posterior mean and std by
 * {@link io.github.diffusej.train.data.LatentKey}, in memory or in the run folder.</li>
 * <li>{@link io.github.diffusej.train.data.BatchLoader}: all of the above for one batch.</li>
 * </ol>
 *
 * <p>GUI-free and device-free: plain Java arrays only; the trainer makes NDArrays. Every random choice comes from a
 * {@link io.github.diffusej.Rng} the caller passes.
 */
package io.github.diffusej.train.data;
