package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.generate.GeneratedImage;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.TextToImage;
import io.github.diffusej.model.loader.LoadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyModelTest {

	@TempDir
	Path tmp;

	@Test
	void writesALoadableDeterministicModel() throws IOException {
		Path a = TinyModel.write(tmp.resolve("a"), 1);
		Path b = TinyModel.write(tmp.resolve("b"), 1);
		for (String f : List.of("unet/diffusion_pytorch_model.safetensors", "tokenizer/merges.txt", "text_encoder/config.json"))
			assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
		assertThrows(IOException.class, () -> TinyModel.write(a, 2), "never overwrites a model");
		try (StableDiffusionModel m = StableDiffusionModel.load(a, LoadOptions.defaults(), Device.cpu(), DataType.FLOAT32,
			msg -> {}))
		{
			long[] ids = m.tokenizer().encode("a fluorescent micrograph of cells");
			assertEquals(m.tokenizer().bosId(), ids[0]);
			assertTrue(ids.length < 12, "learned merges keep known words short: " + ids.length + " tokens");
			GenerationRequest r = new GenerationRequest(a, null, "a fluorescent micrograph of cells", "blurry", 3, 7.5,
				"Euler a", 5, 32, 32, 1, 0, null, null, null);
			List<GeneratedImage> img = TextToImage.generate(m, r, TextToImage.Listener.of(ProgressListener.NONE));
			assertEquals(32 * 32, img.get(0).rgb().length);
			assertTrue(java.util.Arrays.stream(img.get(0).rgb()).distinct().count() > 10, "an image, not a constant");
		}
	}
}
