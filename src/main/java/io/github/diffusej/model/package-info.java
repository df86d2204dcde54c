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
 * <h2>Adapters and training</h2>
 * <pre>{@code
 * AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
 * q.addAdapter("style", LoraAdapter.of(q, down, up, alpha, false), 0.8);   // named, with a multiplier
 * q.setAdapterWeight("style", 0.5);  q.removeAdapter("style");  unet.adaptedLayers();  unet.clearAdapters();
 * LoraNetwork net = LoraNetwork.attach(model, "train", Targets.extended().withTextEncoder(true),
 *     LoraSpec.of(16, 8).withConv(8, 4).withDora(true), Rng.stream(seed, "adapter-init"), trainManager);
 * try (NDManager s = trainManager.newSubManager(); LoraNetwork.Step step = net.step(computeDtype, s)) {
 *     ...forward, backward...; step.gradients();           // kohya key -> gradient (float32), update the masters
 * }
 * te.embeddings().setExtraTokens(rows);   // [K, D] trainable rows for ids 49408.. (textual inversion)
 * }</pre>
 * A layer composes its adapters in order (LoRA terms added, DoRA recomposing the effective weight so far); see
 * {@link io.github.diffusej.model.nn.AdaptableLayer}. Trainable tensors must be in the compute dtype while a graph
 * is recorded; frozen weights in another dtype (fp16 on a GPU) are cast at use, because {@code toType} would cut a
 * trainable leaf from the graph. Scalars inside a graph go through
 * {@link io.github.diffusej.model.nn.Param#times}, never {@code mul(Number)} (DJL frees that scalar before
 * backward reads it).
 */
package io.github.diffusej.model;
