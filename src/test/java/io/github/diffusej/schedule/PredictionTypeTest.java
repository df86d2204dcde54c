package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/**
 * A model that knows x0 and ε exactly can answer as ε, as v or as x0. Every sampler must then take the same step
 * whatever the prediction type says (first step, where no history is involved); a wrong v or x0 conversion fails.
 */
class PredictionTypeTest {

	static SchedulerConfig config(String prediction) {
		return SchedulerConfig.parse(JsonParser.parseString("{\"beta_schedule\":\"scaled_linear\",\"beta_start\":0.00085,"
			+ "\"beta_end\":0.012,\"steps_offset\":1,\"set_alpha_to_one\":false,\"clip_sample\":false,"
			+ "\"skip_prk_steps\":true,\"prediction_type\":\"" + prediction + "\"}").getAsJsonObject(), null);
	}

	@Test
	void allPredictionTypesGiveTheSameFirstStep() {
		String[] types = {"epsilon", "v_prediction", "sample"};
		for (SamplerKind kind : SamplerKind.values()) {
			float[] reference = null;
			float[] referenceEps = null;
			for (String type : types) {
				if (type.equals("sample") && (kind == SamplerKind.EULER_A || kind == SamplerKind.PNDM)) continue;
				Sampler s = kind.create(config(type), (m, shape, dtype) -> m.zeros(shape, dtype));
				s.setTimesteps(10);
				try (NDManager m = NDManager.newBaseManager()) {
					Shape shape = new Shape(1, 2, 4, 4);
					NDArray x0 = m.arange(0f, 32f).reshape(shape).div(16f).sub(1f);
					NDArray eps = m.arange(0f, 32f).reshape(shape).mul(0.7f).sin();
					// (a, b): the sample is a·x0 + b·ε; (alpha, sigmaVp): the VP pair the network sees
					double a;
					double b;
					double alpha;
					double sigmaVp;
					if (kind == SamplerKind.EULER || kind == SamplerKind.EULER_A) {
						double sg = s.sigmas()[0];
						a = 1;
						b = sg;
						alpha = 1 / Math.sqrt(sg * sg + 1);
						sigmaVp = sg * alpha;
					} else if (kind == SamplerKind.DPMPP_2M || kind == SamplerKind.DPMPP_2M_KARRAS) {
						double sg = s.sigmas()[0];
						alpha = 1 / Math.sqrt(sg * sg + 1);
						sigmaVp = sg * alpha;
						a = alpha;
						b = sigmaVp;
					} else {
						float ac = NoiseSchedule.of(config(type)).alphaCumprod((int) s.timesteps()[0]);
						alpha = Math.sqrt(ac);
						sigmaVp = Math.sqrt(1 - ac);
						a = alpha;
						b = sigmaVp;
					}
					NDArray x = x0.mul((float) a).add(eps.mul((float) b));
					NDArray out = switch (type) {
						case "epsilon" -> eps;
						case "v_prediction" -> eps.mul((float) alpha).sub(x0.mul((float) sigmaVp));
						default -> x0;
					};
					float[] r = s.step(out, 0, x).toFloatArray();
					if (reference == null) {
						reference = r;
						referenceEps = x.toFloatArray();
					} else {
						assertArrayEquals(reference, r, 2e-4f, kind.label() + " " + type + " vs epsilon");
					}
				}
			}
			// the step must actually move the sample, or the comparison above proves nothing
			double moved = 0;
			for (int j = 0; j < reference.length; j++) moved = Math.max(moved, Math.abs(reference[j] - referenceEps[j]));
			assertTrue(moved > 1e-2, kind.label() + " moved " + moved);
		}
	}
}
