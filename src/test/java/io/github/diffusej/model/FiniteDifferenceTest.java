package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.model.adapter.DoraAdapter;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import java.io.IOException;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Autograd vs central finite differences in float64 on tiny-sd1 (text encoder -> UNet): one LoRA weight, one
 * extra token row, DoRA tensors and a conv-LoRA weight (one element of each, 8x8 latents to stay fast).
 */
class FiniteDifferenceTest {

	private static final double H = 1e-6;

	@Test
	void gradientsMatchCentralDifferences() throws IOException {
		try (NDManager m = NDManager.newBaseManager()) {
			CLIPTextModel te = CLIPTextModelTest.load(m, DataType.FLOAT64);
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT64);
			Random rnd = new Random(3);
			NDArray x = m.create(gauss(rnd, 4 * 8 * 8), new Shape(1, 4, 8, 8));
			NDArray weights = m.create(gauss(rnd, 4 * 8 * 8), new Shape(1, 4, 8, 8));
			NDArray ids = m.create(new long[] {49406, 320, 49408, 539, 49407, 49407, 49407, 49407}).reshape(1, 8);

			double[] rowV = gauss(rnd, 32);
			double[] downV = scaled(gauss(rnd, 4 * 32), 0.1);
			double[] upV = scaled(gauss(rnd, 32 * 4), 0.1);
			double[] cdownV = scaled(gauss(rnd, 2 * 4 * 9), 0.1);
			double[] cupV = scaled(gauss(rnd, 32 * 2), 0.1);
			String attn = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v";
			String dora = "up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_q";
			AdaptableLayer lora = unet.layer(attn);
			AdaptableLayer conv = unet.layer("conv_in");
			AdaptableLayer dl = unet.layer(dora);

			NDArray[] p = new NDArray[8];
			Supplier<Double> lossNoGrad = () -> {
				try (GradMode g = GradMode.noGrad()) {
					return loss(te, unet, ids, x, weights).getDouble();
				}
			};
			Runnable attach = () -> {
				unet.clearAdapters();
				lora.addAdapter("t", LoraAdapter.of(lora, p[1], p[2], 4, true));
				conv.addAdapter("t", LoraAdapter.of(conv, p[3], p[4], 2, true));
				// Full DoRA gradient (norm not detached), so that finite differences can check it.
				dl.addAdapter("t", DoraAdapter.of(dl, p[6], p[7], p[5], 4, true, false));
				te.embeddings().setExtraTokens(p[0]);
			};
			double[] magV = new double[32];
			for (int i = 0; i < 32; i++) magV[i] = 0.5 + rnd.nextDouble();
			double[][] vals = {rowV, downV, upV, cdownV, cupV, magV, scaled(gauss(rnd, 4 * 32), 0.1),
				scaled(gauss(rnd, 32 * 4), 0.1)};
			Shape[] shapes = {new Shape(1, 32), new Shape(4, 32), new Shape(32, 4), new Shape(2, 4, 3, 3),
				new Shape(32, 2, 1, 1), new Shape(32), new Shape(4, 32), new Shape(32, 4)};
			for (int i = 0; i < 8; i++) {
				p[i] = m.create(vals[i], shapes[i]);
				p[i].setRequiresGradient(true);
			}
			attach.run();
			try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
				gc.backward(loss(te, unet, ids, x, weights));
			}
			String[] names = {"extra token row", "LoRA down", "LoRA up", "conv LoRA down", "conv LoRA up",
				"DoRA magnitude", "DoRA down", "DoRA up"};
			double[][] grads = new double[8][];
			for (int i = 0; i < 8; i++) grads[i] = p[i].getGradient().toDoubleArray();
			for (int i = 0; i < 8; i++) {
				for (int e : new int[] {(5 * i + 3) % vals[i].length}) {
					double orig = vals[i][e];
					double[] fd = new double[2];
					for (int s = 0; s < 2; s++) {
						double[] v = vals[i].clone();
						v[e] = orig + (s == 0 ? H : -H);
						NDArray[] saved = p.clone();
						p[i] = m.create(v, shapes[i]);
						attach.run();
						fd[s] = lossNoGrad.get();
						System.arraycopy(saved, 0, p, 0, 8);
					}
					double numeric = (fd[0] - fd[1]) / (2 * H);
					double analytic = grads[i][e];
					double rel = Math.abs(numeric - analytic) / Math.max(1e-8, Math.abs(numeric) + Math.abs(analytic));
					System.out.printf("%s[%d]: autograd %.9g, finite difference %.9g, rel %.2g%n", names[i], e,
						analytic, numeric, rel);
					assertTrue(rel < 1e-5 || Math.abs(numeric - analytic) < 1e-9, names[i] + "[" + e + "]: autograd "
						+ analytic + " vs finite difference " + numeric);
				}
				attach.run();
			}
		}
	}

	private static NDArray loss(CLIPTextModel te, UNet2DConditionModel unet, NDArray ids, NDArray x, NDArray w) {
		NDArray ctx = te.forward(ids).lastHiddenState();
		return unet.forward(x, 321.5, ctx).mul(w).sum();
	}

	private static double[] gauss(Random r, int n) {
		double[] d = new double[n];
		for (int i = 0; i < n; i++) d[i] = r.nextGaussian();
		return d;
	}

	private static double[] scaled(double[] d, double s) {
		for (int i = 0; i < d.length; i++) d[i] *= s;
		return d;
	}
}
