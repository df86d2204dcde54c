/**
 * Opening Stable Diffusion 1.x/2.x models: {@link io.github.diffusej.model.loader.ModelLoader#open} takes a diffusers
 * folder or a single-file LDM {@code .safetensors} checkpoint and returns
 * {@link io.github.diffusej.model.loader.ModelFiles}.
 *
 * <pre>{@code
 * try (ModelFiles m = ModelLoader.open(path, LoadOptions.defaults().withTokenizerDir(tok))) {
 *     CLIPTextModel te = CLIPTextModel.from(m.textEncoder().config(), m.textEncoder().weights(), manager);
 *     UNet2DConditionModel unet = UNet2DConditionModel.from(m.unet().config(), m.unet().weights(), manager);
 *     AutoencoderKL vae = AutoencoderKL.from(m.vae().config(), m.vae().weights(), manager);
 *     tokenizer from m.tokenizerDir(); scheduler from m.schedulerConfig(); m.predictionType(); m.notes() to the log
 * } // weights are loaded into the networks' manager, so the files may be closed afterwards
 * }</pre>
 *
 * <p>Both kinds present weights under reference (diffusers/transformers) names and shapes; every key and shape has
 * been checked against the component config ({@link io.github.diffusej.model.loader.ReferenceKeys}) before
 * {@code open} returns. Tensors are read lazily, one per {@code load} call. Pickles are never loaded.
 */
package io.github.diffusej.model.loader;
