package io.github.diffusej.testutil;

import io.github.diffusej.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Test LoRA files for the tiny model. */
public final class TestLora {

	private TestLora() {}

	/** A kohya LoRA on the tiny UNet's first attention: q, k, v (DoRA on v) and out, rank 2. */
	public static void write(Path file) throws IOException {
		SafetensorsWriter w = new SafetensorsWriter().metadata("ss_network_dim", "2");
		Random r = new Random(2);
		for (String m : List.of("to_q", "to_k", "to_v", "to_out_0")) {
			String stem = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_" + m;
			float[] down = new float[2 * 32], up = new float[32 * 2];
			for (int i = 0; i < 64; i++) {
				down[i] = (float) r.nextGaussian() * 0.1f;
				up[i] = (float) r.nextGaussian() * 0.1f;
			}
			w.putFloats(stem + ".lora_down.weight", new long[] {2, 32}, down)
				.putFloats(stem + ".lora_up.weight", new long[] {32, 2}, up)
				.putFloats(stem + ".alpha", new long[] {}, new float[] {1});
			if (m.equals("to_v")) {
				float[] mag = new float[32];
				java.util.Arrays.fill(mag, 1.2f);
				w.putFloats(stem + ".dora_scale", new long[] {1, 32}, mag);
			}
		}
		w.write(file);
	}
}
