package io.github.diffusej.model.ldm;

import com.google.gson.JsonObject;
import io.github.diffusej.io.Dtype;
import io.github.diffusej.io.HalfFloats;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.model.loader.Component;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Test helper: the random-weight tiny-sd1 diffusers model ({@code ../shared/golden/tiny-sd1/model}) rewritten as a
 * single-file LDM checkpoint, through {@link LdmInverse}. {@link Flavour#SD2} writes the text encoder in OpenCLIP
 * layout (fused in_proj, one surplus block, text_projection, logit_scale), as SD 2.x files have it.
 */
public final class TinyLdm {

	private TinyLdm() {}

	public enum Flavour { SD1, SD2 }

	/** A tensor to write: float values (stored F16) or, when {@code longs} is set, I64. */
	public record Entry(long[] shape, float[] values, long[] longs) {
		public Entry(long[] shape, float[] values) {
			this(shape, values, null);
		}
	}

	public static Path model() {
		return Golden.tinySd1Model();
	}

	static Path weightsFile(Component c) {
		return model().resolve(c.folder).resolve(c == Component.TEXT_ENCODER ? "model.safetensors"
			: "diffusion_pytorch_model.safetensors");
	}

	/** The diffusers tensors of one component, as floats. */
	public static Map<String, Entry> diffusers(Component c) throws IOException {
		Map<String, Entry> out = new LinkedHashMap<>();
		try (SafetensorsFile f = SafetensorsFile.open(weightsFile(c))) {
			for (String n : f.names()) out.put(n, new Entry(f.info(n).shape(), f.floats(n)));
		}
		return out;
	}

	public static int vaeBlocks() throws IOException {
		JsonObject vae = TestManifests.json(model().resolve("vae/config.json"));
		return vae.getAsJsonArray("block_out_channels").size();
	}

	public static int textLayers() throws IOException {
		return TestManifests.json(model().resolve("text_encoder/config.json")).get("num_hidden_layers").getAsInt();
	}

	/** The LDM tensors, before any edit. */
	public static Map<String, Entry> ldmTensors(Flavour flavour) throws IOException {
		Map<String, Entry> unet = diffusers(Component.UNET);
		int perBlock = TestManifests.json(model().resolve("unet/config.json")).get("layers_per_block").getAsInt();
		LdmInverse inv = new LdmInverse(perBlock, vaeBlocks(), flavour == Flavour.SD2, unet.keySet());
		Map<String, Entry> out = new LinkedHashMap<>();
		for (Component c : Component.values()) {
			Map<String, Entry> d = c == Component.UNET ? unet : diffusers(c);
			for (var e : d.entrySet()) {
				String ldm = inv.toLdm(c, e.getKey());
				long[] shape = LdmInverse.ldmShape(c, e.getKey(), e.getValue().shape());
				if (ldm.contains(".attn.in_proj_")) {
					if (out.containsKey(ldm)) continue;
					String prefix = e.getKey().substring(0, e.getKey().indexOf("self_attn.") + "self_attn.".length());
					String param = e.getKey().endsWith("weight") ? "weight" : "bias";
					float[] q = d.get(prefix + "q_proj." + param).values(), k = d.get(prefix + "k_proj." + param).values(),
						v = d.get(prefix + "v_proj." + param).values();
					float[] fused = new float[q.length * 3];
					System.arraycopy(q, 0, fused, 0, q.length);
					System.arraycopy(k, 0, fused, q.length, q.length);
					System.arraycopy(v, 0, fused, 2 * q.length, q.length);
					long[] s = shape.length == 2 ? new long[] {3 * shape[0], shape[1]} : new long[] {3 * shape[0]};
					out.put(ldm, new Entry(s, fused));
				}
				else out.put(ldm, new Entry(shape, e.getValue().values()));
			}
		}
		// what real files carry besides (golden README section 7)
		out.put("model_ema.decay", new Entry(new long[] {}, new float[] {0.9999f}));
		out.put("betas", new Entry(new long[] {1000}, new float[1000]));
		out.put("alphas_cumprod", new Entry(new long[] {1000}, new float[1000]));
		if (flavour == Flavour.SD1) {
			long[] ids = new long[77];
			for (int i = 0; i < 77; i++) ids[i] = i;
			out.put("cond_stage_model.transformer.text_model.embeddings.position_ids", new Entry(new long[] {1, 77}, null, ids));
		}
		else {
			int layers = textLayers();
			Map<String, Entry> extra = new LinkedHashMap<>();
			String first = "cond_stage_model.model.transformer.resblocks.0.";
			for (var e : out.entrySet())
				if (e.getKey().startsWith(first))
					extra.put("cond_stage_model.model.transformer.resblocks." + layers + "." +
						e.getKey().substring(first.length()), e.getValue());
			out.putAll(extra);
			long hidden = out.get("cond_stage_model.model.token_embedding.weight").shape()[1];
			out.put("cond_stage_model.model.text_projection", new Entry(new long[] {hidden, hidden},
				new float[(int) (hidden * hidden)]));
			out.put("cond_stage_model.model.logit_scale", new Entry(new long[] {}, new float[] {4.6052f}));
		}
		return out;
	}

	/** Writes the checkpoint (floats as F16) after letting {@code edit} change the tensor map. */
	public static Path write(Path file, Flavour flavour, Consumer<Map<String, Entry>> edit) throws IOException {
		return write(file, flavour, edit, Dtype.F16);
	}

	/** Writes the checkpoint with floats stored as {@code dtype} (F16 or BF16). */
	public static Path write(Path file, Flavour flavour, Consumer<Map<String, Entry>> edit, Dtype dtype)
		throws IOException
	{
		Map<String, Entry> t = ldmTensors(flavour);
		if (edit != null) edit.accept(t);
		SafetensorsWriter w = new SafetensorsWriter();
		for (var e : t.entrySet()) {
			float[] v = e.getValue().values();
			if (e.getValue().longs() != null) w.putLongs(e.getKey(), e.getValue().shape(), e.getValue().longs());
			else if (dtype == Dtype.F16) w.putFloatsAsF16(e.getKey(), e.getValue().shape(), v);
			else {
				ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
				for (int i = 0; i < v.length; i++) b.putShort(2 * i, HalfFloats.floatToBf16(v[i]));
				w.put(e.getKey(), Dtype.BF16, e.getValue().shape(), b);
			}
		}
		Files.createDirectories(file.toAbsolutePath().getParent());
		w.write(file);
		return file;
	}
}
