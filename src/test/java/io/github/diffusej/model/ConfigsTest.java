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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import com.google.gson.JsonObject;
import io.github.diffusej.model.loader.ModelLoadException;
import io.github.diffusej.model.loader.ModelLoader;

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

	@TempDir
	static Path models;

	static Path tiny;

	/** One tiny model, copied per case with one config value replaced. */
	static synchronized Path tinyModel() throws IOException {
		if (tiny == null) tiny = TinyModel.write(models.resolve("tiny"), 3);
		return tiny;
	}

	static Path withValue(String name, String file, String key, String json) throws IOException {
		Path dir = models.resolve(name);
		try (var w = Files.walk(tinyModel())) {
			for (Path p : w.toList()) {
				Path q = dir.resolve(tinyModel().relativize(p).toString());
				if (Files.isDirectory(p)) Files.createDirectories(q);
				else Files.copy(p, q);
			}
		}
		Path f = dir.resolve(file);
		JsonObject o = Configs.readObject(f);
		o.remove(key);
		String text = o.toString();
		text = text.substring(0, text.length() - 1) + (o.size() == 0 ? "" : ",") + "\"" + key + "\":" + json + "}";
		Files.writeString(f, text);
		return dir;
	}

	@ParameterizedTest(name = "{1} {2}={3}")
	@CsvSource(delimiter = '|', quoteCharacter = '`', value = {
		"a|unet/config.json|cross_attention_dim|\"abc\"|cross_attention_dim must be an integer or a list of integers, found \"abc\"",
		"b|unet/config.json|layers_per_block|1000000|layers_per_block[0] must be in 1..64, found 1000000",
		"c|unet/config.json|norm_num_groups|7|norm_num_groups 7 does not divide block_out_channels[0] = 32",
		"d|unet/config.json|attention_head_dim|0|attention_head_dim[0] must be in 1..32, found 0",
		"e|unet/config.json|block_out_channels|[]|block_out_channels (number of blocks) must be in 1..8, found 0",
		"f|unet/config.json|block_out_channels|[32, 1e9]|block_out_channels[1] must be in 1..16384, found 1000000000",
		"g|unet/config.json|sample_size|16.5|sample_size must be an integer, found 16.5",
		"h|unet/config.json|norm_eps|-1|norm_eps must be a finite number > 0, found -1.0",
		"i|text_encoder/config.json|num_attention_heads|5|hidden_size 32 is not divisible by num_attention_heads 5",
		"j|text_encoder/config.json|num_hidden_layers|1e9|num_hidden_layers must be in 1..256, found 1000000000",
		"k|text_encoder/config.json|hidden_size|true|hidden_size must be an integer, found true",
		"l|vae/config.json|scaling_factor|0|scaling_factor must be a finite number > 0, found 0.0",
		"m|vae/config.json|scaling_factor|NaN|scaling_factor must be a finite number > 0, found NaN",
		"n|vae/config.json|latent_channels|\"4\"|latent_channels must be an integer, found \"4\"",
		"o|vae/config.json|norm_num_groups|0|norm_num_groups must be at least 1, found 0",
		"p|scheduler/scheduler_config.json|num_train_timesteps|1|num_train_timesteps must be in 2..100000, found 1",
		"q|scheduler/scheduler_config.json|beta_end|0.0001|beta_start (8.5E-4) must be below beta_end (1.0E-4)",
		"r|scheduler/scheduler_config.json|beta_end|1.5|beta_end must be in (0, 1), found 1.5",
		"s|scheduler/scheduler_config.json|steps_offset|-1|steps_offset must be in 0..999, found -1",
		"t|scheduler/scheduler_config.json|num_train_timesteps|\"many\"|key 'num_train_timesteps' must be an integer",
		"u|unet/config.json|down_block_types|{\"a\": 1}|down_block_types must be a list of strings, found {\"a\":1}"})
	void absurdConfigValuesAreRefusedNamingFileAndKey(String name, String file, String key, String json, String why)
		throws IOException
	{
		Path dir = withValue(name, file, key, json);
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(dir).close());
		assertTrue(e.getMessage().startsWith(dir.resolve(file) + ": "), e.getMessage());
		assertTrue(e.getMessage().contains(why), e.getMessage());
	}

	@Test
	void lenientJsonInAConfigIsRefused() throws IOException {
		Path dir = withValue("lenient", "vae/config.json", "sample_size", "32");
		Path f = dir.resolve("vae/config.json");
		Files.writeString(f, Files.readString(f).replace("\"sample_size\"", "'sample_size'"));
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(dir).close());
		assertTrue(e.getMessage().startsWith(f + ": invalid JSON at line 1"), e.getMessage());
		Files.writeString(f, "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
		e = assertThrows(ModelLoadException.class, () -> ModelLoader.open(dir).close());
		assertTrue(e.getMessage().startsWith(f + ": values nested deeper than 32 levels"), e.getMessage());
	}

	@Test
	void tokenizerWindowIsBounded() throws IOException {
		Path dir = withValue("window", "tokenizer/tokenizer_config.json", "model_max_length", "1e30");
		IOException e = assertThrows(IOException.class, () -> io.github.diffusej.tokenize.ClipTokenizer.fromFolder(
			dir.resolve("tokenizer")).close());
		assertTrue(e.getMessage().contains("tokenizer_config.json: model_max_length must be an integer in 3..4096"),
			e.getMessage());
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
