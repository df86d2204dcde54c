package io.github.diffusej.model;

import static io.github.diffusej.model.Compare.PARITY_ATOL;
import static io.github.diffusej.model.Compare.PARITY_RTOL;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.loader.SafetensorsWeightSource;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Golden parity with diffusers 0.25.1 on tiny-sd1: {@code tiny-sd1/vectors/unet.safetensors}. */
class UNet2DConditionModelTest {

	static UNet2DConditionModel load(NDManager m, DataType dt) throws IOException {
		Path dir = Golden.tinySd1Model().resolve("unet");
		UNet2DConditionModel unet = UNet2DConditionModel.fromConfig(dir);
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			unet.loadWeights(w, m, dt);
		}
		return unet;
	}

	@Test
	void matchesDiffusersGolden() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); SafetensorsFile g = SafetensorsFile.open(
			Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = load(m, DataType.FLOAT32);
			NDArray x = g.load("sample", m);
			NDArray ctx = g.load("encoder_hidden_states", m);
			Compare.allClose("out (int t [999, 10])", unet.forward(x, g.load("timesteps", m), ctx), g.load("out", m),
				PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("out_float_t [946.25, 1.5]", unet.forward(x, g.load("timesteps_float", m), ctx),
				g.load("out_float_t", m), PARITY_ATOL, PARITY_RTOL);
			Compare.allClose("out_scalar_t500_batch1", unet.forward(x.get(new NDIndex("0:1")), 500,
				ctx.get(new NDIndex("0:1"))), g.load("out_scalar_t500_batch1", m), PARITY_ATOL, PARITY_RTOL);
		}
	}

	@Test
	void refusesSdxlClearly() {
		Path cfg = Golden.dir().resolve("manifests/configs/sdxl/unet/config.json");
		IOException e = assertThrows(IOException.class, () -> UNet2DConditionConfig.read(cfg));
		assertTrue(e.getMessage().contains("SDXL is not supported yet"), e.getMessage());
		assertTrue(e.getMessage().contains(cfg.toString()), e.getMessage());
	}

	@Test
	void refusesUnknownBlockType() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"block_out_channels\":[32,64],\"down_block_types\":[\"CrossAttnDownBlock2D\",\"SimpleDownBlock2D\"],"
				+ "\"up_block_types\":[\"UpBlock2D\",\"CrossAttnUpBlock2D\"]}", UNet2DConditionConfig.class));
		assertTrue(e.getMessage().contains("SimpleDownBlock2D"), e.getMessage());
	}
}
