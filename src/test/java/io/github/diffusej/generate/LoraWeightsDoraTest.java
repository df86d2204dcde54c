package io.github.diffusej.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.testutil.Golden;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DoRA files: with a magnitude equal to the norm of W + s·up@down, recomposition must give W + s·up@down exactly
 * (per input column for kohya's dora_scale [1, in], per output row for PEFT's magnitude [out]); a multiplier m
 * blends W + m·(W_dora − W).
 */
class LoraWeightsDoraTest {

	@TempDir
	Path tmp;

	static final String MODULE = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";

	@Test
	void doraRecomposesLikeTheFileMeansIt() throws Exception {
		try (StableDiffusionModel model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, msg -> {}))
		{
			AdaptableLayer layer = model.unet().layer(MODULE);
			float[] w = layer.weight().array().toFloatArray();
			int n = 32, r = 2;
			float alpha = 1f; // scale 0.5
			Random rnd = new Random(3);
			float[] down = new float[r * n], up = new float[n * r];
			for (int i = 0; i < down.length; i++) down[i] = (float) rnd.nextGaussian() * 0.3f;
			for (int i = 0; i < up.length; i++) up[i] = (float) rnd.nextGaussian() * 0.3f;
			double[] v = new double[n * n];
			for (int o = 0; o < n; o++)
				for (int i = 0; i < n; i++) {
					double d = 0;
					for (int k = 0; k < r; k++) d += up[o * r + k] * down[k * n + i];
					v[o * n + i] = w[o * n + i] + 0.5 * d;
				}
			for (boolean perOutput : new boolean[] {false, true}) {
				float[] mag = new float[n];
				for (int a = 0; a < n; a++) {
					double s = 0;
					for (int b = 0; b < n; b++) s += perOutput ? v[a * n + b] * v[a * n + b] : v[b * n + a] * v[b * n + a];
					mag[a] = (float) Math.sqrt(s);
				}
				Path file = tmp.resolve("dora-" + perOutput + ".safetensors");
				SafetensorsWriter sw = new SafetensorsWriter();
				if (perOutput) sw.metadata("lora_adapter_metadata", "{\"lora_alpha\": 1}")
					.putFloats("unet." + MODULE + ".lora_A.weight", new long[] {r, n}, down)
					.putFloats("unet." + MODULE + ".lora_B.weight", new long[] {n, r}, up)
					.putFloats("unet." + MODULE + ".lora_magnitude_vector", new long[] {n}, mag);
				else {
					String stem = "lora_unet_" + MODULE.replace('.', '_');
					sw.putFloats(stem + ".lora_down.weight", new long[] {r, n}, down)
						.putFloats(stem + ".lora_up.weight", new long[] {n, r}, up)
						.putFloats(stem + ".alpha", new long[] {}, new float[] {alpha})
						.putFloats(stem + ".dora_scale", new long[] {1, n}, mag);
				}
				sw.write(file);
				for (double m : new double[] {1.0, 0.5}) {
					LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(file, m)));
					float[] merged = layer.effectiveWeight(model.manager()).toFloatArray();
					double worst = 0;
					for (int i = 0; i < merged.length; i++) worst = Math.max(worst, Math.abs(merged[i] - (w[i] + m * (v[i] - w[i]))));
					assertEquals(0, worst, 1e-5, (perOutput ? "PEFT" : "kohya") + " DoRA, multiplier " + m);
				}
			}
			LoraWeights.remove(model);
		}
	}
}
