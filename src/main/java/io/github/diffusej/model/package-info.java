/**
 * The Stable Diffusion networks (SD1.x / SD2.x) on DJL NDArrays, numerically matching diffusers 0.25.1 and
 * transformers 4.36.
 *
 * <h2>Build and load</h2>
 * <pre>{@code
 * CLIPTextModel te = CLIPTextModel.fromConfig(folder.resolve("text_encoder"));   // shapes only, nothing allocated
 * UNet2DConditionModel unet = UNet2DConditionModel.fromConfig(folder.resolve("unet"));
 * AutoencoderKL vae = AutoencoderKL.fromConfig(folder.resolve("vae"));
 * try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(folder.resolve("unet"))) {
 *     unet.loadWeights(w, manager, DataType.FLOAT32);   // manager decides the device; FLOAT16 on a GPU
 * }
 * }</pre>
 * Any {@link io.github.diffusej.model.WeightSource} works: {@link io.github.diffusej.model.loader.SafetensorsWeightSource}
 * for a component folder (the file chosen as {@link io.github.diffusej.model.loader.ModelLoader} chooses it) or
 * plain files, single-file LDM checkpoints through a key map; {@code ModelLoader.open} gives all three components.
 * Loading is strict: missing / unexpected keys and shape mismatches are reported together, naming the source.
 * {@code parameters()} gives the ordered map reference key -> {@link io.github.diffusej.model.nn.Param}.
 *
 * <h2>Run</h2>
 * <pre>{@code
 * try (GradMode ng = GradMode.noGrad(); NDManager step = manager.newSubManager()) {
 *     NDArray ctx = te.forward(ids).lastHiddenState();           // ids [B, 77] int64 -> [B, 77, D]
 *     NDArray ctx2 = te.encode(ids, 1);                           // clip_skip = 1
 *     NDArray eps = unet.forward(latents, 946.25, ctx);           // [B, 4, h, w]; t: double, or NDArray [] / [B]
 *     NDArray img = vae.decode(latents.div(vae.scalingFactor())); // [B, 3, 8h, 8w] in about [-1, 1]
 *     NDArray z = vae.encode(image).mean().mul(vae.scalingFactor());
 * }
 * }</pre>
 * Temporaries belong to the manager of the inputs (the caller's scope); blocks own no managers.
 * {@code net.setAttentionKernel(AttentionKernel.full() | AttentionKernel.chunked(maxScoreElements))} switches the
 * attention math; the default is chunked with a 64 Mi-element score budget (identical to full below it).
 *
 * <h2>Train</h2>
 * <pre>{@code
 * AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
 * q.setAdapter(LoraAdapter.create(q, rank, alpha, manager, DataType.FLOAT32));      // or LoraAdapter.of(q, down, up, alpha)
 * Adapters.layers(unet, Adapters::isUnetAttentionProjection);                        // the usual targets
 * Adapters.kohyaNames(unet, "lora_unet_");                                           // kohya name -> module path
 * unet.adapters();  q.mergeAdapter();  unet.removeAdapters();
 * te.embeddings().setExtraTokens(rows);   // [K, D] trainable rows for ids 49408.. (textual inversion)
 * }</pre>
 * Trainable tensors must be in the compute dtype; frozen weights in another dtype (fp16 on a GPU) are cast at
 * use, because {@code toType} would cut a trainable leaf from the graph.
 */
package io.github.diffusej.model;
