package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.SamplerKind;
import io.github.diffusej.testutil.Golden;
import org.junit.jupiter.api.Test;

/**
 * The memory idiom end to end: the prompt context lives for a whole image while each denoising step runs in its
 * own scope; nothing may accumulate in the context's manager (this leaked ~1 MB of native memory per step).
 */
class GenerationMemoryTest {

	static int arrays(NDManager m) {
		return ((BaseNDManager) m).getManagedArrays().size();
	}

	@Test
	void stepsLeaveNothingBehindTheirScope() throws Exception {
		try (StableDiffusionModel model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, msg -> {});
			NDManager run = model.manager().newSubManager())
		{
			int weights = arrays(model.manager()) - arrays(run);
			NDArray ctx = TextToImage.encodePrompts(model, run, "a photo of a cat", "blurry", 1,
				PromptChunks.LongPrompts.CHUNK, true);
			assertEquals(1, arrays(run), "prompt encoding keeps only its result");
			NDArray noise = run.randomNormal(new Shape(1, 4, 16, 16));
			TextToImage.denoise(model, SamplerKind.DPMPP_2M.create(model.schedulerConfig()), noise, ctx, 7.5, 3,
				(d, t, x) -> {});
			int afterOne = arrays(run);
			for (int i = 0; i < 3; i++)
				TextToImage.denoise(model, SamplerKind.DPMPP_2M.create(model.schedulerConfig()), noise, ctx, 7.5, 3,
					(d, t, x) -> {}).close();
			assertEquals(afterOne, arrays(run), "each denoise leaves only its result (closed here)");
			assertEquals(weights, arrays(model.manager()) - arrays(run), "weights' manager unchanged");
		}
	}
}
