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

import static io.github.diffusej.model.Compare.PARITY_ATOL;
import static io.github.diffusej.model.Compare.PARITY_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
				Compare.allClose("encoder_hidden_states", ehs, g.load("encoder_hidden_states", m), PARITY_ATOL, PARITY_RTOL);
				NDArray pred = unet.forward(g.load("noisy_latents", m), g.load("timesteps", m), ehs);
				Compare.allClose("model_pred", pred, g.load("model_pred", m), PARITY_ATOL, PARITY_RTOL);
				loss = pred.sub(g.load("target", m)).square().mean();
				gc.backward(loss);
			}
			Compare.allClose("loss", loss, g.load("loss", m), 1e-5, 1e-4);
			NDArray expected = g.load("grad_placeholder_row", m);
			// measured 2.3e-8 abs (3e-6 of the largest entry); bounds about tenfold above
			Compare.allClose("grad_placeholder_row", row.getGradient().reshape(-1), expected,
				3e-5 * expected.abs().max().getFloat(), 1e-4);
			// the frozen table is no leaf of the graph: training never computes a [vocab, D] gradient for it
			NDArray table = te.embeddings().tokenEmbedding().weight().array();
			assertFalse(table.hasGradient(), "the frozen table takes part in autograd");
			// control: made differentiable on purpose, the table gets gradients exactly at the prompt's ordinary
			// tokens, while the placeholder's gradient stays with its own row, unchanged
			float[] rowGrad = row.getGradient().toFloatArray();
			row.getGradient().subi(row.getGradient());
			table.setRequiresGradient(true);
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				NDArray ehs = te.forward(g.load("input_ids", m)).lastHiddenState();
				NDArray pred = unet.forward(g.load("noisy_latents", m), g.load("timesteps", m), ehs);
				gc.backward(pred.sub(g.load("target", m)).square().mean());
			}
			Compare.allClose("placeholder gradient with a differentiable table", row.getGradient().reshape(-1),
				m.create(rowGrad), 1e-6 * expected.abs().max().getFloat(), 1e-5);
			long vocab = table.getShape().get(0);
			java.util.Set<Long> used = new java.util.HashSet<>();
			for (long id : g.longs("input_ids")) if (id < vocab) used.add(id);
			float[] rowNorms = table.getGradient().abs().sum(new int[] {1}).toFloatArray();
			for (int i = 0; i < rowNorms.length; i++)
				assertEquals(used.contains((long) i), rowNorms[i] > 0, "table row " + i + " gradient " + rowNorms[i]);
			table.setRequiresGradient(false);
		}
	}
}
