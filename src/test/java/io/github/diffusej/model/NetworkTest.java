package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.loader.SafetensorsWeightSource;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.nn.Linear;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Strict loading errors, layer lookup, mixed precision at the adapter boundary, DoRA merging. */
class NetworkTest {

	/** A source that hides or adds keys of a real one. */
	private static WeightSource filtered(WeightSource real, Set<String> hide, Map<String, long[]> extra) {
		return new WeightSource() {
			@Override
			public Set<String> keys() {
				Set<String> k = new HashSet<>(real.keys());
				k.removeAll(hide);
				k.addAll(extra.keySet());
				return k;
			}

			@Override
			public long[] shape(String key) throws IOException {
				return extra.containsKey(key) ? extra.get(key) : real.shape(key);
			}

			@Override
			public NDArray load(String key, NDManager manager, DataType dtype) throws IOException {
				return real.load(key, manager, dtype);
			}

			@Override
			public String describe() {
				return "filtered(" + real.describe() + ")";
			}

			@Override
			public void close() {}
		};
	}

	@Test
	void loadErrorsListEverythingAtOnceAndNameTheSource() throws IOException {
		Path dir = Golden.tinySd1Model().resolve("vae");
		AutoencoderKL vae = AutoencoderKL.fromConfig(dir);
		try (NDManager m = NDManager.newBaseManager(); SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			WeightSource bad = filtered(w, Set.of("decoder.conv_in.weight", "encoder.conv_out.bias"), Map.of(
				"quant_conv.weight", new long[] {8, 8, 3, 3}, "model_ema.decay", new long[] {}));
			IOException e = assertThrows(IOException.class, () -> vae.loadWeights(bad, m, DataType.FLOAT32));
			String msg = e.getMessage();
			assertTrue(msg.contains("filtered(" + dir), msg);
			assertTrue(msg.contains("2 missing key(s): decoder.conv_in.weight, encoder.conv_out.bias"), msg);
			assertTrue(msg.contains("1 unexpected key(s): model_ema.decay"), msg);
			assertTrue(msg.contains("shape mismatch quant_conv.weight: checkpoint [8, 8, 3, 3], network [8, 8, 1, 1]"),
				msg);
			assertFalse(vae.parameters().get("decoder.conv_out.weight").isLoaded(), "nothing loaded on error");
		}
	}

	@Test
	void positionIdsAreIgnorableForTheTextEncoder() throws IOException {
		Path dir = Golden.tinySd1Model().resolve("text_encoder");
		CLIPTextModel te = CLIPTextModel.fromConfig(dir);
		try (NDManager m = NDManager.newBaseManager(); SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			te.loadWeights(filtered(w, Set.of(), Map.of("text_model.embeddings.position_ids", new long[] {1, 77})), m,
				DataType.FLOAT32);
			assertTrue(te.parameters().values().stream().allMatch(p -> p.isLoaded()));
		}
	}

	@Test
	void findsLayersByReferenceName() {
		UNet2DConditionModel unet = new UNet2DConditionModel(Configs.parse("{}",
			io.github.diffusej.model.unet.UNet2DConditionConfig.class));
		AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
		assertEquals(new Shape(320, 320), q.weight().shape());
		assertNotNull(unet.layer("up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_out.0"));
		assertNotNull(unet.layer("down_blocks.1.downsamplers.0.conv"));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1"));
		assertTrue(e.getMessage().contains("Attention"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> unet.find("down_blocks.9"));
	}

	@Test
	void frozenHalfWeightsWithFloatTrainableAdapter() {
		try (NDManager m = NDManager.newBaseManager()) {
			Engine.getInstance().setRandomSeed(5);
			Linear lin = new Linear(8, 6, true);
			lin.weight().set(m.randomNormal(new Shape(6, 8)).toType(DataType.FLOAT16, false));
			lin.bias().set(m.randomNormal(new Shape(6)).toType(DataType.FLOAT16, false));
			LoraAdapter a = LoraAdapter.of(lin, m.randomNormal(new Shape(2, 8)), m.randomNormal(new Shape(6, 2)), 2, true);
			a.down().setRequiresGradient(true);
			a.up().setRequiresGradient(true);
			lin.addAdapter("train", a);
			NDArray x = m.randomNormal(new Shape(3, 8));
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray y = lin.forward(x);
				assertEquals(DataType.FLOAT32, y.getDataType());
				gc.backward(y.sum());
			}
			assertEquals(DataType.FLOAT32, a.down().getGradient().getDataType());
			assertTrue(a.down().getGradient().abs().sum().getFloat() > 0);
			// while recording, a trainable tensor in another dtype than the computation is refused (a cast would
			// cut its gradient); without recording there is no graph to cut, and the cast is done
			NDArray x64 = x.toType(DataType.FLOAT64, false);
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				IllegalStateException e = assertThrows(IllegalStateException.class, () -> lin.forward(x64));
				assertTrue(e.getMessage().contains("trainable"), e.getMessage());
			}
			try (GradMode ng = GradMode.noGrad()) {
				assertEquals(DataType.FLOAT64, lin.forward(x64).getDataType());
			}
		}
	}

	@Test
	void doraMergesAndStartsAsIdentity() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			NDArray x = g.load("sample", m);
			NDArray ctx = g.load("encoder_hidden_states", m);
			NDArray ref = unet.forward(x, 10, ctx);
			String[] paths = {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k", "down_blocks.0.resnets.1.conv2"};
			DoraAdapter.Axis[] axes = {DoraAdapter.Axis.OUTPUT, DoraAdapter.Axis.INPUT};
			for (int i = 0; i < 2; i++) {
				AdaptableLayer l = unet.layer(paths[i]);
				l.addAdapter("dora", DoraAdapter.create(l, 2, 2, axes[i], new io.github.diffusej.Rng(9), m, DataType.FLOAT32));
			}
			Compare.allClose("fresh DoRA is the base layer, bit for bit", unet.forward(x, 10, ctx), ref, 0, 0);
			unet.clearAdapters();
			for (int i = 0; i < 2; i++) {
				AdaptableLayer l = unet.layer(paths[i]);
				DoraAdapter fresh = DoraAdapter.create(l, 2, 2, axes[i], new io.github.diffusej.Rng(9), m, DataType.FLOAT32);
				NDArray up = m.randomNormal(fresh.up().getShape()).mul(0.1);
				NDArray mag = fresh.magnitude().mul(1.3);
				l.addAdapter("dora", DoraAdapter.of(l, fresh.down(), up, mag, 2, false, true));
			}
			NDArray adapted = unet.forward(x, 10, ctx);
			assertTrue(adapted.sub(ref).abs().max().getFloat() > 1e-3);
			for (String p : paths) unet.layer(p).mergeAdapters();
			assertTrue(unet.adaptedLayers().isEmpty());
			Compare.allClose("merged DoRA equals attached DoRA", unet.forward(x, 10, ctx), adapted, 1e-5, 1e-5);
		}
	}
}
