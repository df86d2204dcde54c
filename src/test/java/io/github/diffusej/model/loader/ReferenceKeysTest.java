package io.github.diffusej.model.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key/shape sets implied by the real SD1.5 and SD2.1 configs ({@code manifests/configs/sd15|sd21}) equal the
 * golden {@code sd15_diffusers_manifest.json} / {@code sd21_diffusers_manifest.json}; SDXL's config is refused.
 */
class ReferenceKeysTest {

	static JsonObject json(Path p) throws IOException {
		return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
	}

	static Map<String, String> printable(Map<String, long[]> m) {
		Map<String, String> out = new TreeMap<>();
		m.forEach((k, v) -> out.put(k, Arrays.toString(v)));
		return out;
	}

	@ParameterizedTest
	@ValueSource(strings = {"sd15", "sd21"})
	void configsImplyTheManifest(String model) throws IOException {
		Path dir = Golden.dir().resolve("manifests");
		JsonObject manifest = json(dir.resolve(model + "_diffusers_manifest.json"));
		for (Component c : Component.values()) {
			Map<String, long[]> want = new TreeMap<>();
			for (var e : manifest.getAsJsonObject(c.folder).entrySet()) {
				var a = e.getValue().getAsJsonObject().getAsJsonArray("shape");
				long[] s = new long[a.size()];
				for (int i = 0; i < s.length; i++) s[i] = a.get(i).getAsLong();
				want.put(e.getKey(), s);
			}
			JsonObject cfg = json(dir.resolve("configs").resolve(model).resolve(c.folder).resolve("config.json"));
			assertEquals(printable(want), printable(ReferenceKeys.shapes(c, cfg)), model + " " + c.folder);
			assertEquals(List.of(), ReferenceKeys.check(c, cfg, want, k -> k, true));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = {"sd15", "sd21"})
	void wrongShapesAreNamed(String model) throws IOException {
		JsonObject cfg = json(Golden.dir().resolve("manifests/configs").resolve(model).resolve("unet/config.json"));
		Map<String, long[]> offered = new TreeMap<>(ReferenceKeys.shapes(Component.UNET, cfg));
		offered.put("conv_in.weight", new long[] {320, 9, 3, 3});
		List<String> d = ReferenceKeys.check(Component.UNET, cfg, offered, k -> "model.diffusion_model.x", false);
		assertEquals(1, d.size(), d.toString());
		assertTrue(d.get(0).contains("'model.diffusion_model.x' (as conv_in.weight) is [320, 9, 3, 3], the config " +
			"implies [320, 4, 3, 3]"), d.get(0));
	}

	@ParameterizedTest
	@ValueSource(strings = {"unet"})
	void sdxlUnetConfigIsUnsupported(String folder) throws IOException {
		JsonObject cfg = json(Golden.dir().resolve("manifests/configs/sdxl").resolve(folder).resolve("config.json"));
		var e = assertThrows(ReferenceKeys.UnsupportedConfig.class, () -> ReferenceKeys.shapes(Component.UNET, cfg));
		assertTrue(e.getMessage().contains("addition_embed_type"), e.getMessage());
	}

	@ParameterizedTest
	@ValueSource(strings = {"sd15"})
	void numAttentionHeadsIsRefusedAsDiffusersDoes(String model) throws IOException {
		JsonObject cfg = json(Golden.dir().resolve("manifests/configs").resolve(model).resolve("unet/config.json"));
		cfg.addProperty("num_attention_heads", 8);
		var e = assertThrows(ReferenceKeys.UnsupportedConfig.class, () -> ReferenceKeys.shapes(Component.UNET, cfg));
		assertTrue(e.getMessage().contains("num_attention_heads"), e.getMessage());
		List<String> d = ReferenceKeys.check(Component.UNET, cfg, Map.of(), k -> k, false);
		assertEquals(List.of("unet: cannot check the tensors against the config: " + e.getMessage()), d);
	}

	@ParameterizedTest
	@ValueSource(strings = {"sd15", "sd21"})
	void perBlockListsImplyWhatTheScalarsImply(String model) throws IOException {
		JsonObject cfg = json(Golden.dir().resolve("manifests/configs").resolve(model).resolve("unet/config.json"));
		Map<String, String> scalar = printable(ReferenceKeys.shapes(Component.UNET, cfg));
		int n = cfg.getAsJsonArray("block_out_channels").size();
		for (String k : new String[] {"layers_per_block", "cross_attention_dim"}) {
			JsonArray a = new JsonArray();
			for (int i = 0; i < n; i++) a.add(cfg.get(k).getAsInt());
			cfg.add(k, a);
		}
		assertEquals(scalar, printable(ReferenceKeys.shapes(Component.UNET, cfg)));
	}
}
