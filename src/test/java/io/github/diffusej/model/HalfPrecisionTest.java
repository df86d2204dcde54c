package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import io.github.diffusej.Rng;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The float16 path (weights and activations in fp16, as on a GPU) runs end to end and stays near the fp32
 * golden. Run here on the CPU, which is slow for fp16 but exercises the same dtype plumbing.
 */
class HalfPrecisionTest {

	@Test
	void unetAndVaeRunInFloat16() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors"));
			SafetensorsFile gv = SafetensorsFile.open(Golden.vectors("vae.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT16);
			NDArray out = unet.forward(g.load("sample", m, DataType.FLOAT16), g.load("timesteps", m),
				g.load("encoder_hidden_states", m, DataType.FLOAT16));
			assertEquals(DataType.FLOAT16, out.getDataType());
			Compare.allClose("UNet fp16 vs fp32 golden", out, g.load("out", m), 2e-2, 2e-2);
			// frozen fp16 weights, fp32 computation (the training layout): weights are cast at use
			NDArray out32 = unet.forward(g.load("sample", m), g.load("timesteps", m), g.load("encoder_hidden_states", m));
			assertEquals(DataType.FLOAT32, out32.getDataType());
			Compare.allClose("UNet fp16 weights, fp32 compute", out32, g.load("out", m), 2e-3, 2e-3);
			AutoencoderKL vae = AutoencoderKLTest.load(m, DataType.FLOAT16);
			NDArray dec = vae.decode(gv.load("decode_latents", m, DataType.FLOAT16));
			Compare.allClose("VAE decode fp16 vs fp32 golden", dec, gv.load("decoded", m), 2e-2, 2e-2);
		}
	}

	/** Under autograd in fp16 the attention keeps its graph (no casts), so LoRA gradients reach every layer. */
	@Test
	void float16GradientsFlowThroughAttention() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT16);
			Engine.getInstance().setRandomSeed(4);
			String first = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
			AdaptableLayer q = unet.layer(first);
			LoraAdapter a = LoraAdapter.create(q, 2, 2, new Rng(4), m, DataType.FLOAT16);
			a.down().setRequiresGradient(true);
			a.up().setRequiresGradient(true);
			q.addAdapter("train", a);
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray out = unet.forward(g.load("sample", m, DataType.FLOAT16), g.load("timesteps", m),
					g.load("encoder_hidden_states", m, DataType.FLOAT16));
				gc.backward(out.toType(DataType.FLOAT32, false).square().mean().add(out.square().mean()));
			}
			assertTrue(a.up().getGradient().abs().sum().getFloat() > 0, "no gradient reached the fp16 LoRA");
		}
	}
}
