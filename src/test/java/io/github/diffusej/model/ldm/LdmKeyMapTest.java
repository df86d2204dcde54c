package io.github.diffusej.model.ldm;

import static io.github.diffusej.model.ldm.TestManifests.printable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.github.diffusej.model.ldm.LdmKeyMap.Mapping;
import io.github.diffusej.model.ldm.LdmKeyMap.Structure;
import io.github.diffusej.model.ldm.LdmKeyMap.Target;
import io.github.diffusej.model.loader.Component;
import io.github.diffusej.model.loader.ModelFamily;
import io.github.diffusej.model.loader.ModelLoadException;
import io.github.diffusej.model.loader.ModelLoader;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LDM key table against the golden manifests (header-only: names and shapes, no weights):
 * {@code sd15_ldm_manifest_expected_real.json}, {@code sd15_ldm_manifest_by_diffusers_script.json},
 * {@code sd21_ldm_manifest_expected_real.json}, {@code sd21_ldm_manifest_by_diffusers_script.json} must map onto
 * exactly {@code sd15_diffusers_manifest.json} / {@code sd21_diffusers_manifest.json}; {@code sdxl_ldm_manifest_*}
 * must be refused.
 */
class LdmKeyMapTest {

	private static Mapping mapManifest(String model, String file, ModelFamily expected) throws IOException {
		Map<String, long[]> ldm = TestManifests.ldm(file);
		ModelFamily family = LdmCheckpoint.detectFamily(ldm, file);
		assertEquals(expected, family, file);
		JsonObject unet = TestManifests.config(model, Component.UNET);
		JsonObject text = TestManifests.config(model, Component.TEXT_ENCODER);
		Structure s = LdmCheckpoint.structure(unet, TestManifests.config(model, Component.VAE), text);
		return LdmCheckpoint.mapChecked(ldm, family, s, unet, TestManifests.config(model, Component.VAE), text, file);
	}

	@ParameterizedTest(name = "{1}")
	@CsvSource({
		"sd15, sd15_ldm_manifest_expected_real.json, SD1",
		"sd15, sd15_ldm_manifest_by_diffusers_script.json, SD1",
		"sd21, sd21_ldm_manifest_expected_real.json, SD2",
		"sd21, sd21_ldm_manifest_by_diffusers_script.json, SD2"})
	void mapsGoldenManifestOntoDiffusersManifest(String model, String file, ModelFamily family) throws IOException {
		Map<String, long[]> ldm = TestManifests.ldm(file);
		Mapping m = mapManifest(model, file, family);
		Map<Component, Map<String, long[]>> expected = TestManifests.diffusers(model);
		for (Component c : Component.values())
			assertEquals(printable(expected.get(c)), printable(m.shapes().get(c)), file + " -> " + c.folder);

		// every key is used exactly once or is one of the documented ignorable keys
		Set<String> used = new HashSet<>();
		for (Component c : Component.values())
			for (Target t : m.targets().get(c).values()) used.add(t.source());
		for (String k : ldm.keySet())
			assertTrue(used.contains(k) ^ m.ignored().containsKey(k), file + ": key neither used nor ignored: " + k);
		Set<String> expectIgnored = new TreeSet<>();
		if (file.equals("sd21_ldm_manifest_expected_real.json")) for (String k : ldm.keySet())
			if (k.contains("resblocks.23.") || k.endsWith("text_projection") || k.endsWith("logit_scale"))
				expectIgnored.add(k);
		assertEquals(expectIgnored, m.ignored().keySet(), file + ": ignored keys");
		if (!expectIgnored.isEmpty()) assertEquals(14, expectIgnored.size());
	}

	@Test
	void bundledConfigsGiveTheSameMapping() throws IOException {
		for (String[] mf : new String[][] {{"sd15", "SD1"}, {"sd21", "SD2"}}) {
			ModelFamily f = ModelFamily.valueOf(mf[1]);
			JsonObject unet = ModelLoader.bundled(f, "unet/config.json");
			JsonObject text = ModelLoader.bundled(f, "text_encoder/config.json");
			for (Component c : Component.values())
				assertEquals(TestManifests.config(mf[0], c), ModelLoader.bundled(f, c.folder + "/config.json"), c.folder);
			Map<String, long[]> ldm = TestManifests.ldm(mf[0] + "_ldm_manifest_expected_real.json");
			Mapping m = LdmCheckpoint.mapChecked(ldm, f, LdmCheckpoint.structure(unet,
				ModelLoader.bundled(f, "vae/config.json"), text), unet, ModelLoader.bundled(f, "vae/config.json"), text, "bundled");
			assertEquals(printable(TestManifests.diffusers(mf[0]).get(Component.UNET)),
				printable(m.shapes().get(Component.UNET)));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = {"sdxl_ldm_manifest_expected_real.json", "sdxl_ldm_manifest_by_diffusers_script.json"})
	void sdxlIsRecognisedAndRefused(String file) throws IOException {
		Map<String, long[]> manifest = TestManifests.ldm(file); // outside assertThrows: no golden data = skipped
		ModelLoadException e = assertThrows(ModelLoadException.class, () -> LdmCheckpoint.detectFamily(manifest, file));
		assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
		assertTrue(e.getMessage().contains("SDXL") && e.getMessage().contains("not supported yet"), e.getMessage());
	}

	/** README section 7, item 4: keys real files carry beyond the manifests. */
	@Test
	void realCheckpointExtrasAreIgnored() throws IOException {
		Map<String, long[]> ldm = new LinkedHashMap<>(TestManifests.ldm("sd15_ldm_manifest_expected_real.json"));
		ldm.put("cond_stage_model.transformer.text_model.embeddings.position_ids", new long[] {1, 77});
		ldm.put("model_ema.decay", new long[] {});
		ldm.put("model_ema.num_updates", new long[] {});
		ldm.put("model_ema.diffusion_modelinput_blocks00weight", new long[] {320, 4, 3, 3});
		for (String b : new String[] {"betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
			"sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
			"sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
			"posterior_mean_coef1", "posterior_mean_coef2"})
			ldm.put(b, new long[] {1000});
		JsonObject unet = TestManifests.config("sd15", Component.UNET), text = TestManifests.config("sd15",
			Component.TEXT_ENCODER);
		Mapping m = LdmCheckpoint.mapChecked(ldm, ModelFamily.SD1, LdmCheckpoint.structure(unet,
			TestManifests.config("sd15", Component.VAE), text), unet, TestManifests.config("sd15", Component.VAE), text, "x");
		assertEquals(16, m.ignored().size(), m.ignored().toString());
		assertEquals(196, m.shapes().get(Component.TEXT_ENCODER).size());
	}

	/** Old SD1 exports name the CLIP modules without the {@code text_model.} level. */
	@Test
	void sd1TextEncoderWithoutTextModelLevel() {
		Structure s = new Structure(2, 4, 12);
		var t = LdmKeyMap.map("cond_stage_model.transformer.encoder.layers.11.mlp.fc1.weight", ModelFamily.SD1, s);
		assertEquals("text_model.encoder.layers.11.mlp.fc1.weight", t.get(0).key());
		assertEquals(java.util.List.of(), LdmKeyMap.map("cond_stage_model.transformer.embeddings.position_ids",
			ModelFamily.SD1, s));
		assertEquals(null, LdmKeyMap.map("cond_stage_model.transformer.encoder.layers.12.mlp.fc1.weight",
			ModelFamily.SD1, s), "a 13th layer is not in the config");
		assertEquals(null, LdmKeyMap.map("cond_stage_model.model.ln_final.weight", ModelFamily.SD1, s),
			"OpenCLIP keys in an SD1 file");
	}

	@Test
	void aDiffusersComponentFileGetsAHint() {
		var e = assertThrows(ModelLoadException.class, () -> LdmCheckpoint.detectFamily(
			Map.of("down_blocks.0.resnets.0.conv1.weight", new long[] {320, 320, 3, 3}), "unet.safetensors"));
		assertTrue(e.getMessage().startsWith("unet.safetensors: this is one component of a diffusers model"),
			e.getMessage());
	}

	@Test
	void vaeAttentionBiasInBothShapesIsSqueezed() {
		assertEquals("[512]", java.util.Arrays.toString(LdmKeyMap.targetShape(LdmKeyMap.Transform.SQUEEZE_1X1,
			new long[] {512, 1, 1})));
		assertEquals("[512]", java.util.Arrays.toString(LdmKeyMap.targetShape(LdmKeyMap.Transform.SQUEEZE_1X1,
			new long[] {512})));
		assertEquals("[512, 512]", java.util.Arrays.toString(LdmKeyMap.targetShape(LdmKeyMap.Transform.SQUEEZE_1X1,
			new long[] {512, 512, 1, 1})));
		assertEquals(null, LdmKeyMap.targetShape(LdmKeyMap.Transform.SQUEEZE_1X1, new long[] {512, 512, 3, 3}));
	}

	/** The hand-written test inverse and the table agree on every manifest key, both ways. */
	@ParameterizedTest
	@CsvSource({"sd15, sd15_ldm_manifest_by_diffusers_script.json, false", "sd21, sd21_ldm_manifest_by_diffusers_script.json, true"})
	void inverseRoundTrip(String model, String file, boolean openClip) throws IOException {
		Map<Component, Map<String, long[]>> d = TestManifests.diffusers(model);
		LdmInverse inv = new LdmInverse(2, 4, openClip, d.get(Component.UNET).keySet());
		Map<String, long[]> ldm = inv.toLdmManifest(d);
		Map<String, long[]> script = TestManifests.ldm(file);
		// the script writes VAE attention biases as [512,1,1]; the inverse writes [512] like real files
		script.replaceAll((k, v) -> v.length == 3 && k.contains("mid.attn_1") ? new long[] {v[0]} : v);
		assertEquals(printable(script), printable(ldm));
		ModelFamily f = openClip ? ModelFamily.SD2 : ModelFamily.SD1;
		Structure s = new Structure(2, 4, openClip ? 23 : 12);
		for (Component c : Component.values())
			for (String k : d.get(c).keySet()) {
				var targets = LdmKeyMap.map(inv.toLdm(c, k), f, s);
				assertNotNull(targets, k);
				assertTrue(targets.stream().anyMatch(t -> t.key().equals(k) && t.component() == c), k);
			}
	}
}
