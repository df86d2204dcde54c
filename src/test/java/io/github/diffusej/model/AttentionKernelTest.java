package io.github.diffusej.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The chunked attention kernel against the plain one (values and gradients), and through whole networks. */
class AttentionKernelTest {

	@Test
	void chunkedEqualsFullWithMaskAndGradients() {
		try (NDManager m = NDManager.newBaseManager()) {
			Engine.getInstance().setRandomSeed(11);
			NDArray q = m.randomNormal(new Shape(2, 3, 37, 8));
			NDArray k = m.randomNormal(new Shape(2, 3, 29, 8));
			NDArray v = m.randomNormal(new Shape(2, 3, 29, 8));
			NDArray bias = m.randomNormal(new Shape(37, 29));
			AttentionKernel chunked = AttentionKernel.chunked(2 * 3 * 29 * 5); // 5 query rows per chunk
			for (NDArray b : new NDArray[] {null, bias}) {
				NDArray[] grads = new NDArray[2];
				NDArray[] outs = new NDArray[2];
				AttentionKernel[] ks = {AttentionKernel.full(), chunked};
				for (int i = 0; i < 2; i++) {
					NDArray qq = q.duplicate();
					qq.setRequiresGradient(true);
					try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
						outs[i] = ks[i].attend(qq, k, v, 0.3, b, false);
						gc.backward(outs[i].mul(outs[i]).sum());
					}
					grads[i] = qq.getGradient();
				}
				Compare.allClose("chunked vs full" + (b == null ? "" : " with mask"), outs[1], outs[0], 1e-6, 1e-6);
				Compare.allClose("chunked vs full gradient", grads[1], grads[0], 1e-6, 1e-6);
			}
		}
	}

	@Test
	void unetWithTinyChunksMatchesGolden() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
			unet.setAttentionKernel(AttentionKernel.chunked(2000));
			Compare.allClose("UNet with chunked attention", unet.forward(g.load("sample", m), g.load("timesteps", m),
				g.load("encoder_hidden_states", m)), g.load("out", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
			unet.setAttentionKernel(AttentionKernel.full());
			Compare.allClose("UNet with full attention", unet.forward(g.load("sample", m), g.load("timesteps", m),
				g.load("encoder_hidden_states", m)), g.load("out", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
		}
	}
}
