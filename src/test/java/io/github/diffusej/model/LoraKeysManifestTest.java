package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.Rng;
import io.github.diffusej.export.BaseModelVersion;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.LoraNetwork;
import io.github.diffusej.model.adapter.LoraSpec;
import io.github.diffusej.model.adapter.Targets;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.schedule.PredictionType;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keys and shapes written for an SD1.5-size model (networks built shapes-only from
 * {@code manifests/configs/sd15}, no base weights allocated) follow the kohya convention for every targeted module
 * of both presets and the text encoder: each file stem is {@code lora_unet_} / {@code lora_te_} + the module path
 * with '.' replaced by '_', maps back to a real module of {@code manifests/sd15_diffusers_manifest.json}, has the
 * shapes that module's weight implies, and the set of stems is exactly the set of targeted modules found in the
 * manifest (selected independently here, by name).
 */
class LoraKeysManifestTest {

	@TempDir
	Path tmp;

	record Module(String component, String path, long[] weight) {}

	static Map<String, Module> manifestModules() throws IOException {
		JsonObject manifest = JsonParser.parseString(Files.readString(Golden.dir().resolve(
			"manifests/sd15_diffusers_manifest.json"))).getAsJsonObject();
		Map<String, Module> byStem = new LinkedHashMap<>();
		for (String comp : List.of("unet", "text_encoder")) {
			String prefix = comp.equals("unet") ? "lora_unet_" : "lora_te_";
			for (Map.Entry<String, JsonElement> e : manifest.getAsJsonObject(comp).entrySet()) {
				if (!e.getKey().endsWith(".weight")) continue;
				List<Long> dims = new ArrayList<>();
				for (JsonElement d : e.getValue().getAsJsonObject().getAsJsonArray("shape")) dims.add(d.getAsLong());
				if (dims.size() < 2) continue;
				String path = e.getKey().substring(0, e.getKey().length() - ".weight".length());
				byStem.put(prefix + path.replace('.', '_'), new Module(comp, path,
					dims.stream().mapToLong(Long::longValue).toArray()));
			}
		}
		return byStem;
	}

	static boolean endsWithAny(String path, List<String> names) {
		return names.stream().anyMatch(n -> path.endsWith("." + n));
	}

	@Test
	void sd15KeysFollowKohyaAndMapToRealModules() throws IOException {
		Path cfg = Golden.dir().resolve("manifests/configs/sd15");
		UNet2DConditionModel unet = UNet2DConditionModel.fromConfig(cfg.resolve("unet"));
		CLIPTextModel te = CLIPTextModel.fromConfig(cfg.resolve("text_encoder"));
		Map<String, Module> manifest = manifestModules();
		List<String> attention = List.of("to_q", "to_k", "to_v", "to_out.0");
		List<String> extendedOnly = List.of("proj_in", "proj_out", "ff.net.0.proj", "ff.net.2", "conv1", "conv2",
			"conv_shortcut", "time_emb_proj");
		List<String> text = List.of("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2");
		LoraSpec spec = LoraSpec.of(4, 4).withConv(2, 1);
		try (NDManager m = NDManager.newBaseManager()) {
			for (Targets targets : List.of(Targets.attention().withTextEncoder(true), Targets.extended())) {
				List<String> names = new ArrayList<>(attention);
				if (targets.unetPreset() == Targets.Preset.EXTENDED) names.addAll(extendedOnly);
				Set<String> expected = new TreeSet<>();
				manifest.forEach((stem, mod) -> {
					if (mod.component.equals("unet") && endsWithAny(mod.path, names)) expected.add(stem);
					if (mod.component.equals("text_encoder") && targets.textEncoder() && endsWithAny(mod.path, text))
						expected.add(stem);
				});
				LoraNetwork net = LoraNetwork.attach(unet, te, "train", targets, spec, new Rng(1), m);
				Path file = tmp.resolve(targets.unetPreset() + ".safetensors");
				LoraFile.write(file, net, new LoraFile.TrainingInfo("sd15", BaseModelVersion.SD_V1, PredictionType.EPSILON,
					512, 512, 0, 0, "", null, null), List.of(), LoraFile.Layout.KOHYA);
				net.remove();
				Set<String> stems = new TreeSet<>();
				try (SafetensorsFile f = SafetensorsFile.open(file)) {
					for (String key : f.names()) {
						String stem = key.replaceFirst("\\.(lora_down\\.weight|lora_up\\.weight|alpha)$", "");
						assertTrue(!stem.equals(key), "unexpected key suffix: " + key);
						Module mod = manifest.get(stem);
						assertTrue(mod != null, key + " maps to no SD1.5 module");
						stems.add(stem);
						long[] w = mod.weight;
						boolean spatial = w.length == 4 && w[2] > 1;
						long r = spatial ? 2 : 4;
						long[] want = key.endsWith(".alpha") ? new long[0] : key.endsWith(".lora_down.weight")
							? (w.length == 4 ? new long[] {r, w[1], w[2], w[3]} : new long[] {r, w[1]})
							: (w.length == 4 ? new long[] {w[0], r, 1, 1} : new long[] {w[0], r});
						assertArrayEquals(want, f.info(key).shape(), key + " for weight " + java.util.Arrays.toString(w));
						if (key.endsWith(".alpha")) assertEquals(spatial ? 1f : 4f, f.floats(key)[0], key);
					}
					assertEquals(expected, stems, targets + ": the targeted modules");
					assertEquals(3 * expected.size(), f.names().size());
					// Spot checks against the names other tools print (formats.md).
					assertArrayEquals(new long[] {4, 320}, f.info(
						"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight").shape());
					assertArrayEquals(new long[] {4, 768}, f.info(
						"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight").shape());
					assertTrue(f.contains("lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_out_0.lora_up.weight"));
					if (targets.textEncoder()) {
						assertTrue(f.contains("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"));
						assertTrue(f.contains("lora_te_text_model_encoder_layers_11_mlp_fc1.lora_down.weight"));
					}
					else {
						assertArrayEquals(new long[] {4, 320, 1, 1},
							f.info("lora_unet_up_blocks_3_attentions_2_proj_out.lora_down.weight").shape());
						assertArrayEquals(new long[] {2, 320, 3, 3},
							f.info("lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight").shape());
						assertArrayEquals(new long[] {4, 1280},
							f.info("lora_unet_up_blocks_0_resnets_0_time_emb_proj.lora_down.weight").shape());
					}
				}
				System.out.println("SD1.5 " + targets + ": " + expected.size() + " modules, all kohya keys map to the manifest");
			}
			// DoRA adds dora_scale on kohya's [1, in(, 1, 1)] axis (planned: needs no weights).
			for (LoraNetwork.Layer l : LoraNetwork.plan(unet, te, Targets.extended().withTextEncoder(true),
				spec.withDora(true)))
			{
				long[] w = manifest.get(l.kohyaName()).weight;
				long[] want = w.length == 4 ? new long[] {1, w[1], 1, 1} : new long[] {1, w[1]};
				assertArrayEquals(want, l.tensors().get(l.doraKey()).getShape(), l.doraKey());
			}
		}
	}
}
