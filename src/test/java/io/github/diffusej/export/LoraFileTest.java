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
}
