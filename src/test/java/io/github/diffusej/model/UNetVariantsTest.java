package io.github.diffusej.model;

import static io.github.diffusej.model.Compare.PARITY_ATOL;
import static io.github.diffusej.model.Compare.PARITY_RTOL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.loader.SafetensorsWeightSource;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Config paths the tiny golden does not exercise directly (SD2-style linear projection, odd sizes, lists). */
class UNetVariantsTest {

	private static JsonObject tinyConfig() throws IOException {
		return JsonParser.parseString(Files.readString(Golden.tinySd1Model().resolve("unet/config.json")))
			.getAsJsonObject();
	}

	/** The tiny weights with proj_in/proj_out 1x1 conv kernels [C, C, 1, 1] presented as Linear [C, C]. */
	private static WeightSource asLinearProjection(WeightSource w) {
		return new WeightSource() {
			private boolean proj(String k) {
				return k.matches(".*\\.proj_(in|out)\\.weight");
			}

			@Override
			public Set<String> keys() {
				return w.keys();
			}

			@Override
			public long[] shape(String key) throws IOException {
				long[] s = w.shape(key);
				return proj(key) ? new long[] {s[0], s[1]} : s;
			}

			@Override
			public NDArray load(String key, NDManager manager, DataType dtype) throws IOException {
				NDArray a = w.load(key, manager, dtype);
				return proj(key) ? a.reshape(a.getShape().get(0), a.getShape().get(1)) : a;
			}

			@Override
			public String describe() {
				return "linear-projection view of " + w.describe();
			}

			@Override
			public void close() {}
		};
	}

	@Test
	void linearProjectionAndPerBlockHeadsMatchTheConvGolden() throws IOException {
		JsonObject c = tinyConfig();
		c.addProperty("use_linear_projection", true);
		c.add("attention_head_dim", JsonParser.parseString("[8, 8]"));
		c.addProperty("upcast_attention", true);
		UNet2DConditionModel unet = new UNet2DConditionModel(Configs.parse(c.toString(), UNet2DConditionConfig.class));
		Path dir = Golden.tinySd1Model().resolve("unet");
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir);
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			unet.loadWeights(asLinearProjection(w), m, DataType.FLOAT32);
			assertEquals(new Shape(32, 32), unet.parameters().get("down_blocks.0.attentions.0.proj_in.weight").shape());
			Compare.allClose("linear projection UNet vs conv golden", unet.forward(g.load("sample", m),
				g.load("timesteps", m), g.load("encoder_hidden_states", m)), g.load("out", m), PARITY_ATOL, PARITY_RTOL);
		}
	}

	@Test
	void oddLatentSizesUpsampleToTheSkipSize() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad()) {
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			NDArray out = unet.forward(m.randomNormal(new Shape(1, 4, 15, 13)), 10, m.randomNormal(new Shape(1, 5, 32)));
			assertArrayEquals(new long[] {1, 4, 15, 13}, out.getShape().getShape());
		}
	}

	@Test
	void deeperTransformerStacksAndListsBuild() throws IOException {
		JsonObject c = tinyConfig();
		c.add("transformer_layers_per_block", JsonParser.parseString("[2, 1]"));
		c.add("layers_per_block", JsonParser.parseString("[1, 2]"));
		c.add("cross_attention_dim", JsonParser.parseString("[32, 48]"));
		UNet2DConditionConfig cfg = Configs.parse(c.toString(), UNet2DConditionConfig.class);
		assertArrayEquals(new int[] {8, 8}, cfg.heads());
		UNet2DConditionModel unet = new UNet2DConditionModel(cfg);
		var p = unet.parameters();
		assertEquals(new Shape(32, 32), p.get("down_blocks.0.attentions.0.transformer_blocks.1.attn2.to_k.weight").shape());
		assertEquals(null, p.get("down_blocks.0.resnets.1.conv1.weight"));
		assertEquals(new Shape(64, 48), p.get("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight").shape());
		assertEquals(new Shape(32, 32), p.get("up_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight")
			.shape());
		assertEquals(3, unet.find("up_blocks.0").children().keySet().stream().filter(k -> k.startsWith("resnets"))
			.count());
		assertEquals(2, unet.find("up_blocks.1").children().keySet().stream().filter(k -> k.startsWith("resnets"))
			.count());
	}
}
