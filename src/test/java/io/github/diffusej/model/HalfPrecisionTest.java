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

	/**
	 * Under autograd in fp16 the attention keeps its graph (no casts), so LoRA gradients reach every layer; the
	 * fp16 gradient matches the fp32 one of the same adapter. The loss is a sum, not a mean: a mean over the
	 * output's 2048 values put the gradients in fp16's subnormal range, where they came out zero or not from run to
	 * run (loss scaling, as mixed-precision training does).
	 */
	@Test
	void float16GradientsFlowThroughAttention() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			String first = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
			UNet2DConditionModel unet32 = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			AdaptableLayer q32 = unet32.layer(first);
			LoraAdapter a32 = LoraAdapter.create(q32, 2, 2, new Rng(4), m, DataType.FLOAT32);
			// up starts at zero: give it values so that down gets a gradient too, as after some training
			a32.up().set(Rng.stream(5, "up").gaussians((int) a32.up().size()));
			a32.down().setRequiresGradient(true);
			a32.up().setRequiresGradient(true);
			q32.addAdapter("train", a32);
			float[] g32 = upGradient(unet32, a32, g, m, DataType.FLOAT32);

			UNet2DConditionModel unet16 = UNet2DConditionModelTest.load(m, DataType.FLOAT16);
			AdaptableLayer q16 = unet16.layer(first);
			LoraAdapter a16 = LoraAdapter.of(q16, a32.down().toType(DataType.FLOAT16, true),
				a32.up().toType(DataType.FLOAT16, true), 2, true);
			a16.down().setRequiresGradient(true);
			a16.up().setRequiresGradient(true);
			q16.addAdapter("train", a16);
			float[] g16 = upGradient(unet16, a16, g, m, DataType.FLOAT16);

			double diff = 0, norm = 0;
			for (int i = 0; i < g32.length; i++) {
				assertTrue(Float.isFinite(g16[i]), "fp16 gradient element " + i + " is " + g16[i]);
				diff += (g16[i] - g32[i]) * (double) (g16[i] - g32[i]);
				norm += g32[i] * (double) g32[i];
			}
			assertTrue(norm > 0, "no gradient reached the fp32 LoRA");
			double rel = Math.sqrt(diff / norm);
			System.out.printf("PARITY LoRA up gradient fp16 vs fp32: relative error %.3g%n", rel);
			assertTrue(rel < 2e-2, "fp16 LoRA gradient differs from fp32 by " + rel);
		}
	}

	private static float[] upGradient(UNet2DConditionModel unet, LoraAdapter a, SafetensorsFile g, NDManager m,
		DataType dtype) throws IOException
	{
		try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
			NDArray out = unet.forward(g.load("sample", m, dtype), g.load("timesteps", m), g.load("encoder_hidden_states",
				m, dtype));
			gc.backward(out.square().sum());
		}
		return a.up().getGradient().toType(DataType.FLOAT32, false).toFloatArray();
	}
}
