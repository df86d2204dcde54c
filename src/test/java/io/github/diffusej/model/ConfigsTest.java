package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.model.clip.CLIPTextConfig;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Config records: defaults, int-or-list expansion, refusals, and no unexplained keys in the real configs. */
class ConfigsTest {

	@ParameterizedTest
	@ValueSource(strings = {"tiny-sd1/model", "manifests/configs/sd15", "manifests/configs/sd21"})
	void realConfigsHaveNoUnmappedKeys(String folder) throws IOException {
		Path dir = Golden.dir().resolve(folder);
		check(dir.resolve("unet/config.json"), UNet2DConditionConfig.class, UNet2DConditionConfig.IGNORED_KEYS);
		check(dir.resolve("vae/config.json"), AutoencoderKLConfig.class, AutoencoderKLConfig.IGNORED_KEYS);
		check(dir.resolve("text_encoder/config.json"), CLIPTextConfig.class, CLIPTextConfig.IGNORED_KEYS);
	}

	private static void check(Path p, Class<?> type, java.util.Set<String> ignored) throws IOException {
		assertEquals(List.of(), Configs.unknownKeys(Files.readString(p), type, ignored), p.toString());
	}

	@Test
	void sd21ValuesAndSd15Defaults() throws IOException {
		UNet2DConditionConfig sd21 = UNet2DConditionConfig.read(Golden.dir().resolve(
			"manifests/configs/sd21/unet/config.json"));
		assertArrayEquals(new int[] {5, 10, 20, 20}, sd21.heads());
		assertTrue(sd21.useLinearProjection() && sd21.upcastAttention());
		assertArrayEquals(new int[] {1024, 1024, 1024, 1024}, sd21.crossAttentionDim().values());
		UNet2DConditionConfig dflt = Configs.parse("{}", UNet2DConditionConfig.class);
		assertArrayEquals(new int[] {8, 8, 8, 8}, dflt.heads());
		assertArrayEquals(new int[] {2, 2, 2, 2}, dflt.layersPerBlock().values());
		assertEquals(1280, dflt.timeEmbedDim());
		assertEquals("gelu", CLIPTextConfig.read(Golden.dir().resolve("manifests/configs/sd21/text_encoder/config.json"))
			.hiddenAct());
		assertEquals(0.18215, AutoencoderKLConfig.read(Golden.tinySd1Model().resolve("vae/config.json"))
			.scalingFactor());
	}

	@Test
	void refusalsAreClear() {
		String m1 = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"attention_head_dim\":[8,8,8]}", UNet2DConditionConfig.class)).getMessage();
		assertTrue(m1.contains("attention_head_dim has 3 entries but there are 4 blocks"), m1);
		String m2 = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"mid_block_type\":\"UNetMidBlock2DSimpleCrossAttn\"}", UNet2DConditionConfig.class)).getMessage();
		assertTrue(m2.contains("UNetMidBlock2DSimpleCrossAttn"), m2);
		String m3 = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"class_embed_type\":\"timestep\"}", UNet2DConditionConfig.class)).getMessage();
		assertTrue(m3.contains("class_embed_type"), m3);
		String m4 = assertThrows(IllegalArgumentException.class, () -> Configs.parse(
			"{\"down_block_types\":[\"DownEncoderBlock2D\",\"AttnDownEncoderBlock2D\"],\"block_out_channels\":[1,2]"
				+ ",\"up_block_types\":[\"UpDecoderBlock2D\",\"UpDecoderBlock2D\"]}", AutoencoderKLConfig.class))
			.getMessage();
		assertTrue(m4.contains("AttnDownEncoderBlock2D"), m4);
	}
}
