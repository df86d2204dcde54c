package io.github.diffusej.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads golden {@code lora_kohya.safetensors} / {@code lora_kohya_alpha2.safetensors} and maps them onto tiny-sd1. */
class LoraFileTest {

	@TempDir
	Path tmp;

	/** The tiny UNet's Linear/Conv modules and weight shapes, taken from its weights file. */
	static Map<String, Map<String, long[]>> tinyModules() throws IOException {
		Map<String, long[]> unet = new HashMap<>();
		try (SafetensorsFile f = SafetensorsFile.open(Golden.tinySd1Model().resolve("unet/diffusion_pytorch_model.safetensors"))) {
			for (String n : f.names())
				if (n.endsWith(".weight") && f.info(n).shape().length >= 2)
					unet.put(n.substring(0, n.length() - ".weight".length()), f.info(n).shape());
		}
		return Map.of("unet", unet);
	}

	@Test
	void kohyaGoldenResolvesOntoTheTinyUnet() throws IOException {
		LoraFile.Contents c = LoraFile.read(Golden.vectors("lora_kohya.safetensors"));
		assertEquals("kohya", c.format());
		assertEquals(48, c.layers().size());
		assertEquals("4", c.metadata().get("ss_network_dim"));
		List<LoraLayer> layers = LoraFile.resolve(c, tinyModules());
		LoraLayer q = layers.stream()
			.filter(l -> l.module().equals("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q")).findFirst()
			.orElseThrow();
		assertEquals(4, q.rank());
		assertEquals(1f, q.scale());
		assertArrayEquals(new long[] {4, 32}, q.downShape());
		assertNull(q.dora());
		assertTrue(layers.stream().anyMatch(l -> l.module().endsWith("attn2.to_out.0")));
		LoraFile.Contents half = LoraFile.read(Golden.vectors("lora_kohya_alpha2.safetensors"));
		assertEquals(0.5f, half.layers().get(0).scale());
	}

	@Test
	void kohyaRoundTrip() throws IOException {
		LoraFile.Contents c = LoraFile.read(Golden.vectors("lora_kohya.safetensors"));
		List<LoraLayer> layers = LoraFile.resolve(c, tinyModules());
		Path out = tmp.resolve("copy.safetensors");
		LoraFile.writeKohya(out, layers, c.metadata());
		try (SafetensorsFile a = SafetensorsFile.open(Golden.vectors("lora_kohya.safetensors"));
			SafetensorsFile b = SafetensorsFile.open(out))
		{
			assertEquals(a.names(), b.names());
			for (String n : a.names()) assertEquals(a.raw(n), b.raw(n), n);
		}
	}

	@Test
	void peftLayoutWithDoraIsRead() throws IOException {
		Path p = tmp.resolve("pytorch_lora_weights.safetensors");
		new SafetensorsWriter().metadata("lora_adapter_metadata", "{\"r\": 2, \"lora_alpha\": 1}")
			.putFloats("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight", new long[] {2, 32}, new float[64])
			.putFloats("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight", new long[] {32, 2}, new float[64])
			.putFloats("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_magnitude_vector", new long[] {32}, new float[32])
			.write(p);
		LoraFile.Contents c = LoraFile.read(p);
		assertEquals("peft", c.format());
		LoraLayer l = LoraFile.resolve(c, tinyModules()).get(0);
		assertEquals(0.5f, l.scale());
		assertTrue(l.doraPerOutput());
	}

	@Test
	void mismatchedLoraNamesTheFileAndLayer() throws IOException {
		Path p = tmp.resolve("wrong.safetensors");
		new SafetensorsWriter()
			.putFloats("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", new long[] {4, 320}, new float[1280])
			.putFloats("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight", new long[] {320, 4}, new float[1280])
			.putFloats("lora_unet_not_a_layer.lora_down.weight", new long[] {4, 32}, new float[128])
			.putFloats("lora_unet_not_a_layer.lora_up.weight", new long[] {32, 4}, new float[128])
			.write(p);
		// the golden modules are read outside assertThrows: a missing golden folder must skip, not fail
		Map<String, Map<String, long[]>> modules = tinyModules();
		SafetensorsException e = assertThrows(SafetensorsException.class,
			() -> LoraFile.resolve(LoraFile.read(p), modules));
		String m = e.getMessage();
		assertTrue(m.contains(p.toString()) && m.contains("does not fit") && m.contains("not_a_layer") &&
			m.contains("[32, 32]"), m);
		Path sdxl = tmp.resolve("xl.safetensors");
		new SafetensorsWriter().putFloats("lora_te1_x.lora_down.weight", new long[] {1, 1}, new float[1])
			.putFloats("lora_te1_x.lora_up.weight", new long[] {1, 1}, new float[1]).write(sdxl);
		assertTrue(assertThrows(SafetensorsException.class, () -> LoraFile.read(sdxl)).getMessage().contains("SDXL"));
		assertTrue(assertThrows(SafetensorsException.class,
			() -> LoraFile.read(Golden.vectors("learned_embeds_diffusers.safetensors"))).getMessage().contains("not a LoRA"));
	}

	static final String Q = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";

	/** A one-layer kohya file; {@code edit} changes it before it is written. */
	private Path kohya(String name, java.util.function.Consumer<SafetensorsWriter> edit) throws IOException {
		float[] down = new float[2 * 32], up = new float[32 * 2];
		for (int i = 0; i < down.length; i++) down[i] = 0.01f * (i % 7);
		for (int i = 0; i < up.length; i++) up[i] = 0.02f * (i % 5);
		SafetensorsWriter w = new SafetensorsWriter().putFloats(Q + ".lora_down.weight", new long[] {2, 32}, down)
			.putFloats(Q + ".lora_up.weight", new long[] {32, 2}, up).putFloats(Q + ".alpha", new long[] {}, new float[] {1});
		edit.accept(w);
		Path p = tmp.resolve(name + ".safetensors");
		w.write(p);
		return p;
	}

	@org.junit.jupiter.params.ParameterizedTest(name = "{0}")
	@org.junit.jupiter.params.provider.ValueSource(strings = {"ok", "rank0", "alpha2", "alphaEmpty", "alphaNaN",
		"alphaInf", "nanUp", "infDown", "intDown", "doraShape", "doraNaN", "convUp3x3", "zeroIn"})
	void loraFilesAreValidatedOnReading(String c) throws IOException {
		Path p = kohya(c, w -> {
			switch (c) {
				case "rank0" -> w.putFloats(Q + ".lora_down.weight", new long[] {0, 32}, new float[0])
					.putFloats(Q + ".lora_up.weight", new long[] {32, 0}, new float[0]);
				case "alpha2" -> w.putFloats(Q + ".alpha", new long[] {2}, new float[] {1, 2});
				case "alphaEmpty" -> w.putFloats(Q + ".alpha", new long[] {0}, new float[0]);
				case "alphaNaN" -> w.putFloats(Q + ".alpha", new long[] {}, new float[] {Float.NaN});
				case "alphaInf" -> w.putFloats(Q + ".alpha", new long[] {1}, new float[] {Float.POSITIVE_INFINITY});
				case "nanUp" -> {
					float[] up = new float[64];
					up[17] = Float.NaN;
					w.putFloats(Q + ".lora_up.weight", new long[] {32, 2}, up);
				}
				case "infDown" -> {
					float[] down = new float[64];
					down[3] = Float.NEGATIVE_INFINITY;
					w.putFloatsAsF16(Q + ".lora_down.weight", new long[] {2, 32}, down);
				}
				case "intDown" -> w.putLongs(Q + ".lora_down.weight", new long[] {2, 32}, new long[64]);
				case "doraShape" -> w.putFloats(Q + ".dora_scale", new long[] {1, 31}, new float[31]);
				case "doraNaN" -> {
					float[] m = new float[32];
					m[5] = Float.NaN;
					w.putFloats(Q + ".dora_scale", new long[] {1, 32}, m);
				}
				case "convUp3x3" -> w.putFloats(Q + ".lora_down.weight", new long[] {2, 32, 1, 1}, new float[64])
					.putFloats(Q + ".lora_up.weight", new long[] {32, 2, 3, 3}, new float[576]);
				case "zeroIn" -> w.putFloats(Q + ".lora_down.weight", new long[] {2, 0}, new float[0]);
				default -> {}
			}
		});
		if (c.equals("ok")) {
			LoraLayer l = LoraFile.read(p).layers().get(0);
			assertEquals(0.5f, l.scale());
			return;
		}
		String why = switch (c) {
			case "rank0" -> "rank 0, a LoRA needs rank >= 1";
			case "alpha2" -> "'" + Q + ".alpha' must be one number, but has shape [2]";
			case "alphaEmpty" -> "'" + Q + ".alpha' must be one number, but has shape [0]";
			case "alphaNaN" -> "'" + Q + ".alpha' is NaN, not a finite number";
			case "alphaInf" -> "'" + Q + ".alpha' is Infinity, not a finite number";
			case "nanUp" -> "contains NaN or infinite values ('" + Q + ".lora_up.weight' element 17 is NaN)";
			case "infDown" -> "contains NaN or infinite values ('" + Q + ".lora_down.weight' element 3 is -Infinity)";
			case "intDown" -> "has dtype I64, expected a float type";
			case "doraShape" -> "DoRA magnitude [1, 31] is neither per input column [1, 32] nor per output row [32]";
			case "doraNaN" -> "'" + Q + ".dora_scale' element 5 is NaN";
			case "convUp3x3" -> "must have a 1x1 kernel";
			case "zeroIn" -> "down [2, 0] and up [32, 2]: a dimension of size 0";
			default -> throw new IllegalStateException(c);
		};
		SafetensorsException e = assertThrows(SafetensorsException.class, () -> LoraFile.read(p));
		assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
		assertTrue(e.getMessage().contains(why), e.getMessage());
	}

	@Test
	void peftAlphaMustBeOneFiniteNumber() throws IOException {
		for (String meta : List.of("{\"lora_alpha\": \"big\"}", "{\"lora_alpha\": [1, 2]}", "{\"lora_alpha\": NaN}",
			"{'lora_alpha': 1}"))
		{
			Path p = tmp.resolve("peft.safetensors");
			new SafetensorsWriter().metadata("lora_adapter_metadata", meta)
				.putFloats("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight", new long[] {2, 32}, new float[64])
				.putFloats("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight", new long[] {32, 2}, new float[64])
				.write(p);
			SafetensorsException e = assertThrows(SafetensorsException.class, () -> LoraFile.read(p), meta);
			assertTrue(e.getMessage().startsWith(p + ": metadata 'lora_adapter_metadata'"), e.getMessage());
		}
	}
}
