package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Param;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Full-size SD1.5 / SD2.1 networks built from the real configs WITHOUT allocating weights have exactly the
 * diffusers/transformers state-dict keys and shapes of {@code manifests/sd15_diffusers_manifest.json} and
 * {@code manifests/sd21_diffusers_manifest.json}.
 */
class ManifestTest {

	@ParameterizedTest
	@CsvSource({"sd15,unet", "sd15,vae", "sd15,text_encoder", "sd21,unet", "sd21,vae", "sd21,text_encoder"})
	void keysAndShapesMatchTheDiffusersManifest(String model, String component) throws IOException {
		Path golden = Golden.dir().resolve("manifests");
		Path cfg = golden.resolve("configs").resolve(model).resolve(component);
		Network net = switch (component) {
			case "unet" -> UNet2DConditionModel.fromConfig(cfg);
			case "vae" -> AutoencoderKL.fromConfig(cfg);
			default -> CLIPTextModel.fromConfig(cfg);
		};
		JsonObject manifest = JsonParser.parseString(Files.readString(golden.resolve(model + "_diffusers_manifest.json")))
			.getAsJsonObject().getAsJsonObject(component);
		Map<String, Param> params = net.parameters();
		List<String> problems = new ArrayList<>();
		long count = 0;
		for (Map.Entry<String, JsonElement> e : manifest.entrySet()) {
			Param p = params.get(e.getKey());
			long[] want = new long[0];
			for (JsonElement d : e.getValue().getAsJsonObject().getAsJsonArray("shape")) {
				want = Arrays.copyOf(want, want.length + 1);
				want[want.length - 1] = d.getAsLong();
			}
			if (p == null) problems.add("missing " + e.getKey());
			else if (!Arrays.equals(want, p.shape().getShape())) problems.add("shape " + e.getKey() + ": ours "
				+ p.shape() + ", manifest " + Arrays.toString(want));
			else assertTrue(!p.isLoaded());
			count += Arrays.stream(want).reduce(1, (a, b) -> a * b);
		}
		TreeSet<String> extra = new TreeSet<>(params.keySet());
		extra.removeAll(manifest.keySet());
		for (String k : extra) problems.add("extra " + k);
		assertTrue(problems.isEmpty(), model + "/" + component + ": " + problems.size() + " problems: " + problems);
		assertEquals(manifest.size(), params.size());
		System.out.println(model + "/" + component + ": " + params.size() + " keys, " + count + " parameters");
	}
}
