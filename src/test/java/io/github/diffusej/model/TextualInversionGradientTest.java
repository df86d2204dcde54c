package io.github.diffusej.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The textual-inversion gradient through CLIP and the UNet against diffusers' example script:
 * {@code tiny-sd1/vectors/train_textual_inversion.safetensors} (placeholder id 49408 = first extra row).
 */
class TextualInversionGradientTest {

	@Test
	void extraRowGradientMatchesGolden() throws IOException {
		try (NDManager m = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_textual_inversion.safetensors")))
		{
			CLIPTextModel te = CLIPTextModelTest.load(m, DataType.FLOAT32);
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			NDArray row = g.load("embedding_row_before", m).reshape(1, -1);
			row.setRequiresGradient(true);
			te.embeddings().setExtraTokens(row);
			NDArray loss;
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray ehs = te.forward(g.load("input_ids", m)).lastHiddenState();
				Compare.allClose("encoder_hidden_states", ehs, g.load("encoder_hidden_states", m), 1e-4, 1e-4);
				NDArray pred = unet.forward(g.load("noisy_latents", m), g.load("timesteps", m), ehs);
				Compare.allClose("model_pred", pred, g.load("model_pred", m), 1e-4, 1e-4);
				loss = pred.sub(g.load("target", m)).square().mean();
				gc.backward(loss);
			}
			Compare.allClose("loss", loss, g.load("loss", m), 1e-5, 1e-4);
			NDArray expected = g.load("grad_placeholder_row", m);
			Compare.allClose("grad_placeholder_row", row.getGradient().reshape(-1), expected,
				1e-3 * expected.abs().max().getFloat(), 1e-3);
			// the frozen table takes no part in autograd
			assertNull(te.embeddings().tokenEmbedding().weight().array().hasGradient() ? "has grad" : null);
		}
	}
}
