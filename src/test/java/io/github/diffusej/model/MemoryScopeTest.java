package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.diffusej.model.nn.LayerAdapter;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.Rng;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A forward run in a caller's scope leaves nothing behind in the weights' manager (adapters included). */
class MemoryScopeTest {

	@Test
	void forwardTemporariesBelongToTheCallersScope() throws IOException {
		try (NDManager weights = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			CLIPTextModel te = CLIPTextModelTest.load(weights, DataType.FLOAT32);
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(weights, DataType.FLOAT32);
			AutoencoderKL vae = AutoencoderKLTest.load(weights, DataType.FLOAT32);
			Engine.getInstance().setRandomSeed(1);
			AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
			q.addAdapter("train", LoraAdapter.create(q, 2, 2, new Rng(1), weights, DataType.FLOAT32));
			AdaptableLayer c = unet.layer("down_blocks.0.resnets.0.conv1");
			c.addAdapter("train", DoraAdapter.create(c, 2, 2, DoraAdapter.Axis.INPUT, new Rng(1), weights, DataType.FLOAT32));
			// A frozen LoRA on a trained layer: its cached weight is made once and kept in the weights' manager.
			q.addAdapter("file", LoraAdapter.of(q, weights.ones(new ai.djl.ndarray.types.Shape(1, 32)).mul(0.01),
				weights.ones(new ai.djl.ndarray.types.Shape(32, 1)), 1, false), 0.5);
			te.embeddings().setExtraTokens(weights.randomNormal(new ai.djl.ndarray.types.Shape(2, 32)));
			int before = weights.getManagedArrays().size() + 1; // + the file LoRA's cached weight, made once
			for (int step = 0; step < 3; step++) {
				try (NDManager scope = weights.newSubManager()) {
					NDArray ids = scope.create(new long[] {49406, 49408, 49409, 49407}).reshape(1, 4);
					NDArray ctx = te.forward(ids).lastHiddenState();
					NDArray x = g.load("sample", scope).get("0:1");
					NDArray out = unet.forward(x, 321.5, ctx);
					vae.decode(vae.encode(vae.decode(out)).mean());
				}
				assertEquals(before, weights.getManagedArrays().size(), "arrays left in the weights' manager");
			}
		}
	}

	/** The training-step idiom: a scope per step, gradients moved into it, nothing accumulates. */
	@Test
	void trainingStepsLeaveNothingBehind() throws IOException {
		try (NDManager weights = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(weights, DataType.FLOAT32);
			Engine.getInstance().setRandomSeed(2);
			for (String p : new String[] {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
				"down_blocks.0.resnets.0.conv1"})
			{
				AdaptableLayer l = unet.layer(p);
				LoraAdapter a = LoraAdapter.create(l, 2, 2, new Rng(2), weights, DataType.FLOAT32);
				a.tensors().values().forEach(t -> t.setRequiresGradient(true));
				l.addAdapter("train", a);
			}
			int before = -1;
			for (int step = 0; step < 3; step++) {
				try (NDManager scope = weights.newSubManager()) {
					NDArray x = g.load("sample", scope);
					NDArray ctx = g.load("encoder_hidden_states", scope);
					try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
						gc.backward(unet.forward(x, g.load("timesteps", scope), ctx).square().mean());
					}
					for (LayerAdapter a : unet.adaptedLayers().values().stream().flatMap(l -> l.adapters().values().stream()).toList()) {
						for (java.util.Map.Entry<String, NDArray> t : a.tensors().entrySet()) {
							NDArray grad = t.getValue().getGradient();
							grad.attach(scope);
							float size = grad.abs().sum().getFloat();
							assertTrue(Float.isFinite(size), t.getKey() + " gradient is " + size);
							// up starts at zero, so down's first gradient is zero; up's must not be
							if (step == 0 && t.getKey().startsWith("lora_up")) assertTrue(size > 0, t.getKey()
								+ " got no gradient");
							grad.subi(grad); // an optimizer would update t here and zero the gradient
						}
					}
				}
				if (before < 0) before = weights.getManagedArrays().size();
				assertEquals(before, weights.getManagedArrays().size(), "step " + step + " left arrays behind");
			}
		}
	}
}
