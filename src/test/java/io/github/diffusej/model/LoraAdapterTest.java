package io.github.diffusej.model;

import static io.github.diffusej.model.Compare.PARITY_ATOL;
import static io.github.diffusej.model.Compare.PARITY_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.Adapters;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA through the adapter + autograd path against diffusers 0.25.1: {@code tiny-sd1/vectors/train_lora.safetensors},
 * {@code lora_kohya.safetensors}, {@code lora_kohya_alpha2.safetensors}, {@code lora_grads.safetensors}.
 */
class LoraAdapterTest {

	/** Attaches every LoRA of a kohya file to the UNet by mapping kohya names to module paths. */
	static int attachKohya(UNet2DConditionModel unet, SafetensorsFile f, NDManager m, boolean trainable)
		throws IOException
	{
		int n = 0;
		for (Map.Entry<String, String> e : Adapters.kohyaNames(unet, "lora_unet_").entrySet()) {
			String k = e.getKey();
			if (!f.contains(k + ".lora_down.weight")) continue;
			NDArray down = f.load(k + ".lora_down.weight", m);
			NDArray up = f.load(k + ".lora_up.weight", m);
			double alpha = f.floats(k + ".alpha")[0];
			if (trainable) {
				down.setRequiresGradient(true);
				up.setRequiresGradient(true);
			}
			unet.layer(e.getValue()).setAdapter(LoraAdapter.of(unet.layer(e.getValue()), down, up, alpha));
			n++;
		}
		return n;
	}

	@Test
	void matchesDiffusersLoraOutputsAndGradients() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors"));
			SafetensorsFile kohya = SafetensorsFile.open(Golden.vectors("lora_kohya.safetensors"));
			SafetensorsFile kohya2 = SafetensorsFile.open(Golden.vectors("lora_kohya_alpha2.safetensors"));
			SafetensorsFile grads = SafetensorsFile.open(Golden.vectors("lora_grads.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			NDArray x = g.load("noisy_latents", m);
			NDArray t = g.load("timesteps", m);
			NDArray ctx = g.load("encoder_hidden_states", m);
			NDArray target = g.load("target", m);

			assertEquals(48, attachKohya(unet, kohya, m, true));
			assertEquals(48, unet.adapters().size());
			assertTrue(unet.adapters().keySet().stream().allMatch(Adapters::isUnetAttentionProjection));
			NDArray loss;
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray out = unet.forward(x, t, ctx);
				Compare.allClose("out_lora", out, g.load("out_lora", m), PARITY_ATOL, PARITY_RTOL);
				loss = out.sub(target).square().mean();
				gc.backward(loss);
			}
			Compare.allClose("loss", loss, g.load("loss", m), 1e-5, 1e-4);
			double worst = 0;
			for (Map.Entry<String, String> e : Adapters.kohyaNames(unet, "lora_unet_").entrySet()) {
				AdaptableLayer layer = unet.layer(e.getValue());
				if (layer.adapter() == null) continue;
				for (Map.Entry<String, NDArray> p : layer.adapter().tensors().entrySet()) {
					NDArray expected = grads.load(e.getKey() + "." + p.getKey(), m);
					NDArray got = p.getValue().getGradient();
					// measured: 2e-9 abs for gradients of about 1e-4 (1e-5 relative); bounds tenfold above
					double scaleTol = 1e-5 * expected.abs().max().getFloat();
					worst = Math.max(worst, Compare.allClose("grad " + e.getKey() + "." + p.getKey(), got, expected,
						scaleTol, 1e-4));
				}
			}
			System.out.println("LoRA gradients: max abs error " + worst);

			try (GradMode ng = GradMode.noGrad()) {
				assertEquals(48, unet.removeAdapters());
				Compare.allClose("out_no_lora", unet.forward(x, t, ctx), g.load("out_no_lora", m), PARITY_ATOL, PARITY_RTOL);
				attachKohya(unet, kohya2, m, false);
				Compare.allClose("out_lora_alpha2", unet.forward(x, t, ctx), g.load("out_lora_alpha2", m), PARITY_ATOL, PARITY_RTOL);
				unet.removeAdapters();
				attachKohya(unet, kohya, m, false);
				for (String path : unet.adapters().keySet()) unet.layer(path).mergeAdapter();
				assertTrue(unet.adapters().isEmpty());
				Compare.allClose("out_merged", unet.forward(x, t, ctx), g.load("out_merged", m), PARITY_ATOL, PARITY_RTOL);
			}
		}
	}

	@Test
	void freshAdapterIsIdentityAndConvLoraWorks() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			NDArray x = g.load("sample", m);
			NDArray ctx = g.load("encoder_hidden_states", m);
			NDArray ref = unet.forward(x, 500, ctx);
			Engine.getInstance().setRandomSeed(7);
			for (String p : new String[] {"conv_in", "down_blocks.0.resnets.0.conv1",
				"down_blocks.0.attentions.0.proj_in", "mid_block.attentions.0.transformer_blocks.0.ff.net.2"})
			{
				AdaptableLayer l = unet.layer(p);
				l.setAdapter(LoraAdapter.create(l, 2, 2, m, DataType.FLOAT32));
			}
			Compare.allClose("fresh LoRA (up = 0) leaves the output unchanged", unet.forward(x, 500, ctx), ref, 1e-6, 0);
			LoraAdapter conv = (LoraAdapter) unet.layer("conv_in").adapter();
			assertEquals(4, conv.down().getShape().dimension());
			assertNotNull(conv.up());
			assertThrows(IllegalStateException.class, () -> unet.layer("conv_in").setAdapter(conv));
			assertThrows(IllegalArgumentException.class, () -> LoraAdapter.of(unet.layer("conv_out"),
				m.zeros(new ai.djl.ndarray.types.Shape(2, 3)), m.zeros(new ai.djl.ndarray.types.Shape(4, 2)), 2));
		}
	}
}
