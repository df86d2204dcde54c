package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.Rng;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.testutil.Golden;
import io.github.diffusej.train.optim.AdamW;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One textual-inversion step against diffusers' {@code textual_inversion.py}
 * ({@code tiny-sd1/vectors/train_textual_inversion.safetensors}), through the trainer's own code: the method's
 * initialisation and token rows, {@link LatentEncoder}, {@link TrainingStep#accumulate} (noise, UNet, loss, backward)
 * and {@link TrainingStep#apply} with {@link AdamW}.
 */
class TextualInversionGoldenTest {

	/** With gradient checkpointing on, the UNet's blocks are recomputed in backward: the same loss and gradients. */
	@ParameterizedTest(name = "gradient checkpointing {0}")
	@ValueSource(booleans = {false, true})
	void oneStepMatchesDiffusers(boolean checkpointing) throws Exception {
		TrainConfig config = TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION)
			.with("textual_inversion.token", "<my-cell>").with("textual_inversion.initializer", "cell")
			.with("optimizer.learning_rate", "5e-3").with("optimizer.weight_decay", "1e-2")
			.with("optimizer.max_grad_norm", "0");
		try (StableDiffusionModel model = StableDiffusionModel.load(Golden.tinySd1Model(), LoadOptions.defaults(),
			Device.cpu(), DataType.FLOAT32, msg -> {});
			NDManager m = model.manager().newSubManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("train_textual_inversion.safetensors"));
			Trainables trainables = new Trainables(m.newSubManager());
			TextualInversion ti = new TextualInversion())
		{
			model.unet().setGradientCheckpointing(checkpointing);
			float[] tableBefore = model.textEncoder().embeddings().tokenEmbedding().weight().array().toFloatArray();
			ti.attach(model, config, trainables, new Rng(1));
			assertEquals(49408, model.tokenizer().tokenId("<my-cell>"), "placeholder id");
			NDArray row = trainables.get("<my-cell>");
			assertArrayEquals(g.load("initializer_row", m).toFloatArray(), row.toFloatArray(), "initializer row");

			// the prompts tokenize to the reference ids
			long[] ids = g.load("input_ids", m).toLongArray();
			String[] prompts = {"a photo of <my-cell>", "a microscope image of <my-cell> cells, fluorescent stain"};
			for (int i = 0; i < 2; i++)
				assertArrayEquals(java.util.Arrays.copyOfRange(ids, i * 77, i * 77 + 77),
					model.tokenizer().encode77(prompts[i]), "ids of " + prompts[i]);

			NoiseSchedule schedule = NoiseSchedule.of(model.schedulerConfig());
			TrainingStep step = new TrainingStep(model, ti, trainables, new DiffusionLoss(schedule,
				schedule.predictionType(), 0), 1, Map.of(), null);
			AdamW adam = new AdamW(trainables.manager(), 0.9, 0.999, 1e-8, 1e-2);
			double loss;
			try (NDScope scope = new NDScope(); NDManager s = m.newSubManager()) {
				LatentEncoder.Posterior post = LatentEncoder.encode(model.vae(), g.load("pixel_values", s));
				assertClose("posterior mean", g.load("vae_posterior_mean", s).toFloatArray(), post.mean().toFloatArray(), 1e-4, 1e-4);
				NDArray x0 = LatentEncoder.sample(post, g.load("vae_posterior_eps", s), model.vae().scalingFactor());
				assertClose("latents", g.load("latents", s).toFloatArray(), x0.toFloatArray(), 1e-4, 1e-4);
				StepInputs in = new StepInputs(x0, g.load("input_ids", s), g.load("noise", s),
					g.load("timesteps", s).toLongArray(), null, null);
				loss = step.accumulate(in, null, 1.0);
				assertEquals(g.load("loss", s).getFloat(), loss, 1e-5, "loss");
				float[] grad = trainables.gradients().get("<my-cell>").toFloatArray();
				assertClose("gradient of the placeholder row", g.load("grad_placeholder_row", s).toFloatArray(), grad, 0, 1e-3);
				TrainingStep.Update u = step.apply(adam, 5e-3, 0);
				assertTrue(u.applied() && u.finite());
				assertClose("row after one AdamW step", g.load("embedding_row_after", s).toFloatArray(), row.toFloatArray(),
					1e-6, 0);
			}
			assertArrayEquals(tableBefore, model.textEncoder().embeddings().tokenEmbedding().weight().array().toFloatArray(),
				"the frozen token table changed");
			adam.close();
		}
	}

	/** numpy's allclose, |a - e| <= atol + rtol |e| elementwise; NaN on either side fails. */
	static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
		assertEquals(expected.length, actual.length, what + ": length");
		double max = 0;
		for (int i = 0; i < expected.length; i++) {
			double d = Math.abs((double) actual[i] - expected[i]);
			if (!(d <= atol + rtol * Math.abs(expected[i]))) throw new AssertionError(what + ": element " + i + " is "
				+ actual[i] + ", expected " + expected[i]);
			max = Math.max(max, d);
		}
		System.out.printf("%s: max abs error %.3g%n", what, max);
	}
}
