package io.github.diffusej.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The networks' part of the 10-step CFG pipeline ({@code tiny-sd1/vectors/pipeline.safetensors}): prompt embeddings,
 * the batched [uncond, cond] UNet call at every step from the stored latents, and the final VAE decode. The
 * scheduler arithmetic is not tested here.
 */
class PipelineStepsTest {

	@Test
	void everyUnetCallAndTheDecodeMatch() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile p = SafetensorsFile.open(Golden.vectors("pipeline.safetensors"));
			SafetensorsFile te = SafetensorsFile.open(Golden.vectors("text_encoder.safetensors")))
		{
			CLIPTextModel clip = CLIPTextModelTest.load(m, DataType.FLOAT32);
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			AutoencoderKL vae = AutoencoderKLTest.load(m, DataType.FLOAT32);
			NDArray ids = te.load("input_ids", m).get("0:1"); // "a photo of a cat"
			Compare.allClose("prompt_embeds", clip.forward(ids).lastHiddenState(), p.load("prompt_embeds", m), Compare.PARITY_ATOL,
				Compare.PARITY_RTOL);
			NDArray emb = NDArrays.concat(new NDList(p.load("negative_prompt_embeds", m), p.load("prompt_embeds", m)));
			long[] ts = p.longs("timesteps");
			NDArray lat = p.load("latents_per_step", m);
			NDArray uncond = p.load("unet_out_uncond_per_step", m);
			NDArray cond = p.load("unet_out_cond_per_step", m);
			double worst = 0;
			for (int i = 0; i < ts.length; i++) {
				try (NDManager step = m.newSubManager()) {
					NDArray x = i == 0 ? p.load("latents_init", step) : lat.get(i - 1).expandDims(0);
					x.attach(step);
					NDArray out = unet.forward(NDArrays.concat(new NDList(x, x)), ts[i], emb); // [2, 4, 16, 16]
					worst = Math.max(worst, Compare.allClose("step " + i + " uncond", out.get("0"), uncond.get(i), Compare.PARITY_ATOL,
						Compare.PARITY_RTOL));
					worst = Math.max(worst, Compare.allClose("step " + i + " cond", out.get("1"), cond.get(i), Compare.PARITY_ATOL,
						Compare.PARITY_RTOL));
				}
			}
			System.out.println("pipeline UNet calls: max abs error " + worst);
			Compare.allClose("vae_decoded_raw", vae.decode(p.load("latents_final", m).div(vae.scalingFactor())),
				p.load("vae_decoded_raw", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
		}
	}
}
