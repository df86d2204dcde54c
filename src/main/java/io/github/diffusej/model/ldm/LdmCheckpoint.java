package io.github.diffusej.model.ldm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.TensorInfo;
import io.github.diffusej.model.WeightSource;
import io.github.diffusej.model.ldm.LdmKeyMap.Mapping;
import io.github.diffusej.model.ldm.LdmKeyMap.Structure;
import io.github.diffusej.model.loader.Component;
import io.github.diffusej.model.loader.ModelFamily;
import io.github.diffusej.model.loader.ModelLoadException;
import io.github.diffusej.model.loader.ReferenceKeys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recognises and maps single-file LDM checkpoints (SD 1.x, SD 2.x). Works on key names and shapes only, so it can
 * be checked against header-only manifests; {@link #open} then wraps a real file lazily.
 */
public final class LdmCheckpoint {

	private LdmCheckpoint() {}

	/** The key whose second dimension is the cross-attention context width in every SD 1.x/2.x UNet. */
	static final String CONTEXT_PROBE = LdmKeyMap.UNET_PREFIX + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight";

	/** Names and shapes of a file's tensors, in header order. */
	public static Map<String, long[]> shapes(SafetensorsFile file) {
		Map<String, long[]> out = new LinkedHashMap<>();
		for (TensorInfo t : file.tensors().values()) out.put(t.name(), t.shape());
		return out;
	}

	/**
	 * Tells SD 1.x from SD 2.x by the text encoder's key prefix. SDXL, LoRA/embedding files and anything else are
	 * refused with a message that names {@code where} and says what the file looks like.
	 */
	public static ModelFamily detectFamily(Map<String, long[]> shapes, String where) throws ModelLoadException {
		boolean unet = false, clip = false, openClip = false, sdxl = false, lora = false;
		for (String k : shapes.keySet()) {
			unet |= k.startsWith(LdmKeyMap.UNET_PREFIX);
			clip |= k.startsWith(LdmKeyMap.CLIP_PREFIX);
			openClip |= k.startsWith(LdmKeyMap.OPEN_CLIP_PREFIX);
			sdxl |= k.startsWith(LdmKeyMap.SDXL_PREFIX);
			lora |= k.startsWith("lora_") || k.contains(".lora_down.") || k.contains(".lora_A.");
		}
		if (sdxl) throw new ModelLoadException(where + ": this is an SDXL checkpoint (it has '" + LdmKeyMap.SDXL_PREFIX +
			"*' text-encoder keys); SDXL is not supported yet - use an SD 1.x or SD 2.x model");
		if (lora && !unet) throw new ModelLoadException(where + ": this is a LoRA file, not a base model; " +
			"open an SD 1.x/2.x checkpoint and apply the LoRA to it");
		boolean diffusersComponent = shapes.keySet().stream().anyMatch(k -> k.startsWith("down_blocks.") ||
			k.startsWith("encoder.down_blocks.") || k.startsWith("text_model."));
		if (!unet && diffusersComponent) throw new ModelLoadException(where + ": this is one component of a diffusers " +
			"model (diffusers key names), not a single-file checkpoint; open the diffusers model folder instead");
		if (!unet) throw new ModelLoadException(where + ": not a Stable Diffusion checkpoint: no '" + LdmKeyMap.UNET_PREFIX +
			"*' keys (" + shapes.size() + " tensors, e.g. " + LdmKeyMap.list(new ArrayList<>(shapes.keySet()).subList(0,
				Math.min(3, shapes.size()))) + ")");
		if (clip && openClip) throw new ModelLoadException(where + ": unknown model family: both '" + LdmKeyMap.CLIP_PREFIX +
			"*' (SD 1.x) and '" + LdmKeyMap.OPEN_CLIP_PREFIX + "*' (SD 2.x) text-encoder keys are present");
		if (!clip && !openClip) throw new ModelLoadException(where + ": unknown model family: the UNet is there but no " +
			"text encoder ('" + LdmKeyMap.CLIP_PREFIX + "*' for SD 1.x or '" + LdmKeyMap.OPEN_CLIP_PREFIX +
			"*' for SD 2.x); only complete SD 1.x/2.x checkpoints are supported");
		ModelFamily family = clip ? ModelFamily.SD1 : ModelFamily.SD2;
		long[] probe = shapes.get(CONTEXT_PROBE);
		if (probe != null && probe.length == 2 && probe[1] == 2048) throw new ModelLoadException(where +
			": the UNet's cross-attention context is 2048 wide ('" + CONTEXT_PROBE + "' " + Arrays.toString(probe) +
			"), which is SDXL's; SDXL is not supported yet");
		return family;
	}

	/** The structure the key arithmetic needs, read from the three component configs. */
	public static Structure structure(JsonObject unet, JsonObject vae, JsonObject textEncoder) {
		return new Structure(intOr(unet, "layers_per_block", 2), listSize(vae, "block_out_channels", 4),
			intOr(textEncoder, "num_hidden_layers", 12));
	}

	private static int intOr(JsonObject o, String key, int dflt) {
		JsonElement e = o.get(key);
		return e == null || e.isJsonNull() ? dflt : e.getAsInt();
	}

	private static int listSize(JsonObject o, String key, int dflt) {
		JsonElement e = o.get(key);
		return e == null || !e.isJsonArray() ? dflt : e.getAsJsonArray().size();
	}

	/**
	 * Maps every key and checks the result against the UNet config (context width, proj_in kind) and the text
	 * encoder config (hidden width, number of layers). Throws one exception listing every defect.
	 */
	public static Mapping mapChecked(Map<String, long[]> shapes, ModelFamily family, Structure s, JsonObject unetConfig,
		JsonObject vaeConfig, JsonObject textConfig, String where) throws ModelLoadException
	{
		Mapping m = LdmKeyMap.mapAll(shapes, family, s);
		List<String> defects = new ArrayList<>(m.defects());
		int context = intOr(unetConfig, "cross_attention_dim", family.contextWidth);
		JsonElement lin = unetConfig.get("use_linear_projection");
		boolean linear = lin != null && !lin.isJsonNull() && lin.getAsBoolean();
		List<String> badContext = new ArrayList<>(), badProj = new ArrayList<>();
		long[] contextShape = null, projShape = null;
		for (Map.Entry<String, long[]> e : m.shapes().get(Component.UNET).entrySet()) {
			String k = e.getKey();
			long[] sh = e.getValue();
			String src = m.targets().get(Component.UNET).get(k).source();
			if (k.matches(".*\\.attn2\\.to_[kv]\\.weight") && (sh.length != 2 || sh[1] != context)) {
				badContext.add(src);
				contextShape = sh;
			}
			if (k.matches(".*attentions\\.\\d+\\.proj_(in|out)\\.weight") && sh.length != (linear ? 2 : 4)) {
				badProj.add(src);
				projShape = sh;
			}
		}
		if (!badContext.isEmpty()) defects.add(badContext.size() + " cross-attention key/value weight(s) have a " +
			"context width that does not match the UNet config's cross_attention_dim " + context + ", e.g. '" +
			badContext.get(0) + "' " + Arrays.toString(contextShape) + contextHint(contextShape, family));
		if (!badProj.isEmpty()) defects.add(badProj.size() + " transformer proj_in/proj_out weight(s) have the wrong " +
			"kind for use_linear_projection=" + linear + " (expects " + (linear ? "Linear [C,C]" : "1x1 conv [C,C,1,1]") +
			"), e.g. '" + badProj.get(0) + "' " + Arrays.toString(projShape));
		Map<String, long[]> text = m.shapes().get(Component.TEXT_ENCODER);
		int hidden = intOr(textConfig, "hidden_size", family.contextWidth);
		long[] tok = text.get("text_model.embeddings.token_embedding.weight");
		if (tok != null && (tok.length != 2 || tok[1] != hidden)) defects.add("the token embedding has shape " +
			Arrays.toString(tok) + " but the text encoder config's hidden_size is " + hidden);
		JsonObject[] configs = {textConfig, unetConfig, vaeConfig};
		boolean configMismatch = defects.size() > m.defects().size();
		if (configMismatch) defects.add("the configs do not describe this model (bundled configs are SD1.5's and " +
			"SD2.1's); pass the model's own configs via LoadOptions.configDir");
		for (Component c : configMismatch ? new Component[0] : Component.values()) {
			Map<String, LdmKeyMap.Target> t = m.targets().get(c);
			if (t.isEmpty()) defects.add("no " + c.folder + " weights at all");
			else {
				Map<String, long[]> offered = new LinkedHashMap<>();
				for (String k : t.keySet()) offered.put(k, m.shapes().get(c).get(k)); // null: shape already reported
				defects.addAll(ReferenceKeys.check(c, configs[c.ordinal()], offered, k -> t.get(k).source(), true));
			}
		}
		if (!defects.isEmpty()) throw new ModelLoadException(where + ": cannot read as an " + family +
			" single-file checkpoint:\n  - " + String.join("\n  - ", defects));
		return m;
	}

	private static String contextHint(long[] shape, ModelFamily family) {
		if (shape.length != 2) return "";
		for (ModelFamily f : ModelFamily.values())
			if (f != family && shape[1] == f.contextWidth) return " (context " + shape[1] + " is " + f +
				"'s, but the text encoder keys are " + family + "'s: unknown model family)";
		return " (a context width no known SD 1.x/2.x model has: unknown model family, or pass matching configs)";
	}

	/** Wraps a mapped file as three lazy weight sources; closing all three closes the file. */
	public static Map<Component, WeightSource> open(SafetensorsFile file, Mapping m) {
		LdmWeightSource.Shared shared = new LdmWeightSource.Shared(file, Component.values().length);
		Map<Component, WeightSource> out = new EnumMap<>(Component.class);
		for (Component c : Component.values())
			out.put(c, new LdmWeightSource(shared, c, m.targets().get(c), m.shapes().get(c)));
		return out;
	}

	/** Detects, maps, checks and wraps; closes the file on failure. */
	public static Map<Component, WeightSource> open(SafetensorsFile file, ModelFamily family, JsonObject unetConfig,
		JsonObject vaeConfig, JsonObject textConfig) throws IOException
	{
		try {
			Structure s = structure(unetConfig, vaeConfig, textConfig);
			return open(file, mapChecked(shapes(file), family, s, unetConfig, vaeConfig, textConfig,
				file.path().toString()));
		}
		catch (IOException | RuntimeException e) {
			file.close();
			throw e;
		}
	}
}
