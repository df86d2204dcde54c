package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.diffusej.Rng;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.LoraNetwork;
import io.github.diffusej.model.adapter.LoraSpec;
import io.github.diffusej.model.adapter.Targets;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.Param;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The trainable LoRA the trainer uses ({@link LoraNetwork}) against diffusers 0.25.1:
 * {@code tiny-sd1/vectors/train_lora.safetensors} (inputs and outputs), {@code lora_kohya.safetensors} and
 * {@code lora_kohya_alpha2.safetensors} (the LoRA tensors), {@code lora_grads.safetensors} (the gradient of every
 * LoRA tensor); plus step 0 = base model, reproducible init, a trainable LoRA beside a LoRA file, mixed precision.
 */
class LoraNetworkTest {

	/** The golden step: stored LoRA installed into a LoraNetwork, one training step through {@link LoraNetwork#step}. */
	@Test
	void goldenStepMatchesDiffusers() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors"));
			SafetensorsFile kohya = SafetensorsFile.open(Golden.vectors("lora_kohya.safetensors"));
			SafetensorsFile kohya2 = SafetensorsFile.open(Golden.vectors("lora_kohya_alpha2.safetensors"));
			SafetensorsFile grads = SafetensorsFile.open(Golden.vectors("lora_grads.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			Map<String, float[]> before = snapshot(unet);
			NDArray x = g.load("noisy_latents", m);
			NDArray t = g.load("timesteps", m);
			NDArray ctx = g.load("encoder_hidden_states", m);
			NDArray target = g.load("target", m);

			LoraNetwork net = LoraNetwork.attach(unet, null, "train", Targets.attention(), LoraSpec.of(4, 4), new Rng(1), m);
			assertEquals(48, net.layers().size());
			assertEquals(new TreeSet<>(grads.names()), new TreeSet<>(net.tensors().keySet()),
				"registry keys = the golden gradient keys (kohya file keys)");
			assertTrue(net.tensors().values().stream().allMatch(tt -> tt.group() == LoraNetwork.Group.UNET));
			net.load(kohya);
			double worst = 0;
			try (NDManager stepScope = m.newSubManager(); LoraNetwork.Step step = net.step(DataType.FLOAT32, stepScope)) {
				NDArray loss;
				try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
					NDArray out = unet.forward(x, t, ctx);
					Compare.allClose("out_lora", out, g.load("out_lora", m), 1e-4, 1e-4);
					loss = out.sub(target).square().mean();
					gc.backward(loss);
				}
				Compare.allClose("loss", loss, g.load("loss", m), 1e-5, 1e-4);
				for (String key : net.tensors().keySet()) {
					NDArray expected = grads.load(key, m);
					// Element-wise rtol 1e-3; elements near zero get an atol of 1e-3 x the tensor's largest gradient.
					double atol = 1e-3 * expected.abs().max().getFloat();
					worst = Math.max(worst, Compare.allClose("grad " + key, step.gradient(key), expected, atol, 1e-3));
				}
			}
			System.out.println("LoRA gradients through LoraNetwork: max abs error " + worst);
			for (Map.Entry<String, float[]> e : snapshot(unet).entrySet())
				assertArrayEquals(before.get(e.getKey()), e.getValue(), "frozen base weight changed: " + e.getKey());
			assertTrue(unet.parameters().values().stream().noneMatch(p -> p.array().hasGradient()),
				"a frozen base weight requires a gradient");
			assertTrue(net.tensors().values().stream().noneMatch(tt -> tt.master().hasGradient()),
				"masters must not be leaves of the graph");

			try (GradMode ng = GradMode.noGrad()) {
				net.setWeight(0.5);
				Compare.allClose("weight 0.5 = out_lora_alpha2", unet.forward(x, t, ctx), g.load("out_lora_alpha2", m),
					1e-4, 1e-4);
				net.remove();
				assertTrue(unet.adaptedLayers().isEmpty());
				Compare.allClose("out_no_lora", unet.forward(x, t, ctx), g.load("out_no_lora", m), 1e-4, 1e-4);
				LoraNetwork half = LoraNetwork.attach(unet, null, "train", Targets.attention(), LoraSpec.of(4, 2),
					new Rng(1), m);
				half.load(kohya2);
				Compare.allClose("alpha 2 = out_lora_alpha2", unet.forward(x, t, ctx), g.load("out_lora_alpha2", m),
					1e-4, 1e-4);
				IOException wrongAlpha = assertThrows(IOException.class, () -> half.load(kohya));
				assertTrue(wrongAlpha.getMessage().contains("alpha"), wrongAlpha.getMessage());
				half.remove();
				LoraNetwork merged = LoraNetwork.attach(unet, null, "train", Targets.attention(), LoraSpec.of(4, 4),
					new Rng(1), m);
				merged.load(kohya);
				for (AdaptableLayer l : unet.adaptedLayers().values()) l.mergeAdapters();
				Compare.allClose("out_merged", unet.forward(x, t, ctx), g.load("out_merged", m), 1e-4, 1e-4);
			}
		}
	}

	static Map<String, float[]> snapshot(io.github.diffusej.model.nn.Network net) {
		Map<String, float[]> out = new java.util.LinkedHashMap<>();
		net.parameters().forEach((k, p) -> out.put(k, p.array().toType(DataType.FLOAT32, true).toFloatArray()));
		return out;
	}

	/** Step 0 is the base model exactly (LoRA and DoRA, extended UNet targets with conv rank, text encoder). */
	@Test
	void freshNetworkIsTheBaseModelExactlyAndInitIsReproducible() throws IOException {
		try (StableDiffusionModel model = tiny(DataType.FLOAT32); NDManager m = model.manager().newSubManager();
			GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors")))
		{
			NDArray x = g.load("noisy_latents", m), t = g.load("timesteps", m);
			NDArray ids = m.create(new long[] {49406, 320, 1125, 539, 320, 2368, 49407}).reshape(1, 7);
			float[] teBase = model.textEncoder().forward(ids).lastHiddenState().toFloatArray();
			NDArray ctx = g.load("encoder_hidden_states", m);
			float[] unetBase = model.unet().forward(x, t, ctx).toFloatArray();
			Targets targets = Targets.extended().withTextEncoder(true);
			for (LoraSpec spec : List.of(LoraSpec.of(4, 2).withConv(2, 1), LoraSpec.of(4, 2).withConv(2, 1).withDora(true))) {
				LoraNetwork net = LoraNetwork.attach(model, "train", targets, spec, Rng.stream(7, "adapter-init"), m);
				assertTrue(net.layers().stream().anyMatch(l -> l.module().endsWith("conv1") && l.rank() == 2));
				assertTrue(net.layers().stream().anyMatch(l -> l.module().endsWith("proj_in") && l.rank() == 4),
					"1x1 convs take the linear rank");
				assertTrue(net.layers().stream().anyMatch(l -> l.group() == LoraNetwork.Group.TEXT_ENCODER));
				assertEquals(0, maxAbsDiff(teBase, model.textEncoder().forward(ids).lastHiddenState().toFloatArray()),
					spec + ": text encoder at step 0");
				assertEquals(0, maxAbsDiff(unetBase, model.unet().forward(x, t, ctx).toFloatArray()), spec + ": UNet at step 0");
				// Kaiming-uniform: |down| <= 1/sqrt(fan_in) and filling the range; up = 0.
				for (LoraNetwork.Layer l : net.layers()) {
					float[] d = net.values(l.downKey());
					long[] s = l.tensors().get(l.downKey()).getShape();
					double bound = 1 / Math.sqrt((double) d.length / s[0]);
					double max = 0;
					for (float v : d) max = Math.max(max, Math.abs(v));
					assertTrue(max <= bound && max > 0.5 * bound, l.module() + ": max |down| " + max + ", bound " + bound);
					for (float v : net.values(l.upKey())) assertEquals(0f, v);
				}
				LoraNetwork again = LoraNetwork.attach(model, "again", targets, spec, Rng.stream(7, "adapter-init"), m);
				LoraNetwork other = LoraNetwork.attach(model, "other", targets, spec, Rng.stream(8, "adapter-init"), m);
				String k = net.layers().get(3).downKey();
				assertArrayEquals(net.values(k), again.values(k), "same seed, same init");
				assertFalse(java.util.Arrays.equals(net.values(k), other.values(k)), "another seed, another init");
				IllegalStateException taken = assertThrows(IllegalStateException.class,
					() -> LoraNetwork.attach(model, "train", targets, spec, new Rng(1), m));
				assertTrue(taken.getMessage().contains("train"), taken.getMessage());
				for (LoraNetwork n : List.of(net, again, other)) n.remove();
			}
			assertThrows(IllegalArgumentException.class, () -> LoraNetwork.attach(model, "x", Targets.pattern("nothing"),
				LoraSpec.of(1, 1), new Rng(1), m));
		}
	}

	/**
	 * A trainable LoRA runs beside a LoRA file (the golden kohya file applied as for generation): the output is the
	 * file's at step 0, only the trainable tensors get gradients, and removing either restores the other exactly.
	 */
	@Test
	void trainableLoraBesideALoraFile() throws IOException {
		try (StableDiffusionModel model = tiny(DataType.FLOAT32);
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors")))
		{
			Map<String, float[]> before = snapshot(model.unet());
			assertEquals(48, LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(
				Golden.vectors("lora_kohya.safetensors"), 1.0))));
			NDManager m = model.manager().newSubManager();
			NDArray x = g.load("noisy_latents", m), t = g.load("timesteps", m), ctx = g.load("encoder_hidden_states", m);
			LoraNetwork net = LoraNetwork.attach(model, "train", Targets.extended(), LoraSpec.of(2, 2), new Rng(3), m);
			AdaptableLayer q = model.unet().layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
			assertEquals(List.of(LoraWeights.adapterName(0, Golden.vectors("lora_kohya.safetensors")), "train"),
				new ArrayList<>(q.adapters().keySet()));
			try (NDManager step = m.newSubManager(); LoraNetwork.Step s = net.step(DataType.FLOAT32, step)) {
				try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
					NDArray out = model.unet().forward(x, t, ctx);
					Compare.allClose("file + fresh trainable = out_lora", out, g.load("out_lora", m), 1e-4, 1e-4);
					gc.backward(out.sub(g.load("target", m)).square().mean());
				}
				int nonZero = 0;
				for (String k : net.tensors().keySet())
					if (k.endsWith(".lora_up.weight") && s.gradient(k).abs().sum().getFloat() > 0) nonZero++;
				assertEquals(net.layers().size(), nonZero, "every lora_up of the trainable LoRA gets a gradient");
				for (AdaptableLayer l : model.unet().adaptedLayers().values())
					for (Map.Entry<String, ?> e : l.adapters().entrySet())
						if (!e.getKey().equals("train"))
							for (NDArray ft : l.adapter(e.getKey()).tensors().values())
								assertFalse(ft.hasGradient(), "a file tensor requires a gradient");
				// What an optimizer does: update the masters in place.
				for (LoraNetwork.TrainableTensor tt : net.tensors().values())
					if (tt.part().equals("lora_up.weight")) tt.master().subi(Param.times(s.gradient(tt.key()), 10));
			}
			try (GradMode ng = GradMode.noGrad()) {
				float[] trained = model.unet().forward(x, t, ctx).toFloatArray();
				assertTrue(maxAbsDiff(trained, g.floats("out_lora")) > 1e-4, "the update changes the output");
				net.remove();
				Compare.allClose("trainable removed: the file alone", model.unet().forward(x, t, ctx), g.load("out_lora", m),
					1e-4, 1e-4);
				LoraWeights.remove(model);
				Compare.allClose("file removed: the base", model.unet().forward(x, t, ctx), g.load("out_no_lora", m), 1e-4, 1e-4);
			}
			for (Map.Entry<String, float[]> e : snapshot(model.unet()).entrySet())
				assertArrayEquals(before.get(e.getKey()), e.getValue(), "frozen base weight changed: " + e.getKey());
			m.close();
		}
	}

	/** fp16 frozen base, fp32 masters, fp16 working leaves: gradients reach the masters' dtype; no cast in the graph. */
	@Test
	void mixedPrecisionStepUsesHalfLeavesAndFloatMasters() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_lora.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT16);
			LoraNetwork net = LoraNetwork.attach(unet, null, "train", Targets.attention(), LoraSpec.of(2, 2).withDora(true),
				new Rng(5), m);
			assertTrue(net.tensors().values().stream().allMatch(tt -> tt.master().getDataType() == DataType.FLOAT32));
			try (NDManager step = m.newSubManager(); LoraNetwork.Step s = net.step(DataType.FLOAT16, step)) {
				assertTrue(s.leaves().values().stream().allMatch(l -> l.getDataType() == DataType.FLOAT16 && l.hasGradient()));
				try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
					NDArray out = unet.forward(g.load("noisy_latents", m, DataType.FLOAT16), g.load("timesteps", m),
						g.load("encoder_hidden_states", m, DataType.FLOAT16));
					assertEquals(DataType.FLOAT16, out.getDataType());
					gc.backward(out.sub(g.load("target", m, DataType.FLOAT16)).square().mean());
				}
				float total = 0;
				for (String k : net.tensors().keySet()) {
					NDArray grad = s.gradient(k);
					assertEquals(DataType.FLOAT32, grad.getDataType(), k);
					float sum = grad.abs().sum().getFloat();
					assertTrue(Float.isFinite(sum), k);
					if (k.endsWith("lora_up.weight")) assertTrue(sum > 0, k + ": no gradient reached the fp16 leaf");
					total += sum;
				}
				assertNotEquals(0f, total);
			}
			// After the step the masters are back in the adapters.
			AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
			assertEquals(DataType.FLOAT32, q.adapter("train").tensors().get("lora_down.weight").getDataType());
		}
	}

	static StableDiffusionModel tiny(DataType dtype) throws IOException {
		return StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(), Device.cpu(), dtype, msg -> {});
	}

	static double maxAbsDiff(float[] a, float[] b) {
		assertEquals(a.length, b.length);
		double m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
		return m;
	}
}
