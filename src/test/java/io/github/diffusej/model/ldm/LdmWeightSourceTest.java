package io.github.diffusej.model.ldm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.Dtype;
import io.github.diffusej.io.HalfFloats;
import io.github.diffusej.model.WeightSource;
import io.github.diffusej.model.loader.Component;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelFamily;
import io.github.diffusej.model.loader.ModelFiles;
import io.github.diffusej.model.loader.ModelLoader;
import io.github.diffusej.schedule.PredictionType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end through the single-file path: the tiny-sd1 diffusers weights ({@code tiny-sd1/model}) are written as an
 * F16 (and BF16) LDM checkpoint with LDM names and shapes, opened with {@link ModelLoader}, and every tensor is read
 * back under its diffusers name and compared with the original (equal to the rounded original, bit for bit).
 */
class LdmWeightSourceTest {

	@TempDir
	Path tmp;

	static NDManager manager;

	@BeforeAll
	static void engine() {
		System.setProperty("ai.djl.offline", "true");
		manager = NDManager.newBaseManager();
	}

	@AfterAll
	static void close() {
		if (manager != null) manager.close();
	}

	static float f16(float x) {
		return HalfFloats.f16ToFloat(HalfFloats.floatToF16(x));
	}

	static float round(Dtype dtype, float x) {
		return dtype == Dtype.F16 ? f16(x) : HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x));
	}

	@ParameterizedTest(name = "{0} {1}")
	@CsvSource({"SD1, F16", "SD2, F16", "SD2, BF16"})
	void everyTensorSurvivesTheSingleFilePath(TinyLdm.Flavour flavour, Dtype dtype) throws IOException {
		Path file = TinyLdm.write(tmp.resolve("tiny-" + flavour + ".safetensors"), flavour, null, dtype);
		double ulp = dtype == Dtype.F16 ? 0x1p-11 : 0x1p-8;
		LoadOptions opts = LoadOptions.defaults().withTokenizerDir(TinyLdm.model().resolve("tokenizer"))
			.withConfigDir(TinyLdm.model());
		try (ModelFiles mf = ModelLoader.open(file, opts)) {
			assertEquals(ModelFiles.Kind.SINGLE_FILE, mf.kind());
			assertEquals(flavour == TinyLdm.Flavour.SD1 ? ModelFamily.SD1 : ModelFamily.SD2, mf.family());
			assertEquals(flavour == TinyLdm.Flavour.SD1 ? PredictionType.EPSILON : PredictionType.V_PREDICTION,
				mf.predictionType());
			assertEquals(mf.predictionType().configName(), mf.schedulerConfig().get("prediction_type").getAsString());
			assertEquals(TinyLdm.model().resolve("tokenizer"), mf.tokenizerDir());
			int checked = 0;
			for (Component c : Component.values()) {
				Map<String, TinyLdm.Entry> expected = TinyLdm.diffusers(c);
				WeightSource ws = mf.components().get(c).weights();
				assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(ws.keys()), c.folder + " keys");
				assertEquals(TinyLdm.model().resolve(c.folder).resolve("config.json").toString(),
					mf.components().get(c).configOrigin());
				for (var e : expected.entrySet()) {
					String k = e.getKey();
					assertArrayEquals(e.getValue().shape(), ws.shape(k), k);
					float[] want = e.getValue().values();
					try (NDArray a = ws.load(k, manager, DataType.FLOAT32)) {
						assertArrayEquals(e.getValue().shape(), a.getShape().getShape(), k);
						assertEquals(DataType.FLOAT32, a.getDataType(), k);
						float[] got = a.toFloatArray();
						for (int i = 0; i < want.length; i++) {
							if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(round(dtype, want[i])))
								throw new AssertionError(k + "[" + i + "]: " + got[i] + " != " + dtype + "(" + want[i] + ")");
							assertTrue(Math.abs(got[i] - want[i]) <= Math.abs(want[i]) * ulp + 1e-7f, k);
						}
					}
					checked++;
				}
			}
			assertTrue(checked > 300, "checked " + checked);

			// transformed tensors can also be asked for as FLOAT16
			String k = flavour == TinyLdm.Flavour.SD1 ? "encoder.mid_block.attentions.0.to_q.weight" : null;
			Component c = Component.VAE;
			if (k == null) {
				k = "text_model.encoder.layers.1.self_attn.v_proj.weight";
				c = Component.TEXT_ENCODER;
			}
			float[] want = TinyLdm.diffusers(c).get(k).values();
			try (NDArray a = mf.components().get(c).weights().load(k, manager, DataType.FLOAT16);
				NDArray f = a.toType(DataType.FLOAT32, false))
			{
				assertEquals(DataType.FLOAT16, a.getDataType());
				float[] got = f.toFloatArray();
				for (int i = 0; i < want.length; i++) assertEquals(f16(round(dtype, want[i])), got[i], 0f, k + "[" + i + "]");
			}
		}
	}
}
