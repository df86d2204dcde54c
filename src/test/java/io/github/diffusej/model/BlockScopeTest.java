package io.github.diffusej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.AttentionKernel;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Memory by construction: every block frees its temporaries when it returns, in inference and under autograd.
 * Counted in live DJL arrays (each holds native memory): after a network call only its result is new, and during
 * a UNet forward the number of live arrays stays bounded (it does not grow with the blocks already run), whereas
 * the same forward without block scopes keeps every temporary.
 */
class BlockScopeTest {

	@Test
	void networksLeaveOnlyTheirResult() throws IOException {
		try (NDManager root = NDManager.newBaseManager();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(root, DataType.FLOAT32);
			AutoencoderKL vae = AutoencoderKLTest.load(root, DataType.FLOAT32);
			CLIPTextModel te = CLIPTextModelTest.load(root, DataType.FLOAT32);
			AdaptableLayer q = unet.layer("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q");
			LoraAdapter lora = LoraAdapter.create(q, 2, 2, new io.github.diffusej.Rng(1), root, DataType.FLOAT32);
			for (NDArray w : lora.tensors().values()) w.setRequiresGradient(true); // something for backward to reach
			q.addAdapter("lora", lora);
			for (boolean training : new boolean[] {false, true}) {
				try (NDManager s = root.newSubManager(); GradMode mode = GradMode.noGrad()) {
					NDArray x = g.load("sample", s);
					NDArray t = g.load("timesteps", s);
					NDArray ctx = g.load("encoder_hidden_states", s);
					NDArray ids = s.create(new long[] {49406, 320, 1125, 49407}).reshape(1, 4);
					GradientCollector gc = training ? Engine.getInstance().newGradientCollector() : null;
					try {
						String when = training ? " under autograd" : "";
						NDArray eps = assertOneNew(root, "UNet forward" + when, () -> unet.forward(x, t, ctx));
						NDArray z = eps.get("0:1");
						NDArray img = assertOneNew(root, "VAE decode" + when, () -> vae.decode(z));
						assertOneNew(root, "VAE encode" + when, () -> vae.moments(img));
						assertOneNew(root, "text encoder" + when, () -> te.encode(ids, 1));
						NDArray heads = ctx.reshape(2, 1, 77, 32);
						assertOneNew(root, "chunked attention" + when, () -> AttentionKernel.chunked(40).attend(heads,
							heads, heads, 0.2, null, false));
						if (training) gc.backward(eps.square().mean());
					}
					finally {
						if (gc != null) gc.close();
					}
				}
			}
		}
	}

	/** Runs {@code call} and checks that exactly one array more is alive afterwards: its result. */
	private static NDArray assertOneNew(NDManager root, String what, Supplier<NDArray> call) {
		int before = root.getManagedArrays().size();
		NDArray out = call.get();
		assertEquals(before + 1, root.getManagedArrays().size(), what + ": arrays alive after the call, beside its result");
		return out;
	}

	@Test
	void liveArraysStayBoundedDuringAForward() throws IOException {
		try (NDManager root = NDManager.newBaseManager(); GradMode ng = GradMode.noGrad();
			SafetensorsFile g = SafetensorsFile.open(Golden.vectors("unet.safetensors")))
		{
			UNet2DConditionModel unet = UNet2DConditionModelTest.load(root, DataType.FLOAT32);
			for (boolean training : new boolean[] {false, true}) {
				List<Integer> scoped = liveAtEachAttention(root, unet, g, training, false);
				List<Integer> unscoped = liveAtEachAttention(root, unet, g, training, true);
				int first = scoped.get(0);
				int growth = Collections.max(scoped) - first;
				// Kept between blocks: the skip connections (3 per level plus conv_in's) and, while a block runs, the
				// outputs of the blocks enclosing it. Nothing else may pile up.
				int skips = 1 + 3 * unet.config().blocks();
				assertTrue(growth <= skips + 10, (training ? "training: " : "inference: ") + "live arrays grew by "
					+ growth + " during the forward (first attention " + first + ", then " + scoped + ")");
				int unscopedGrowth = Collections.max(unscoped) - unscoped.get(0);
				System.out.printf("%s: live arrays grew by %d with block scopes, by %d without%n",
					training ? "training" : "inference", growth, unscopedGrowth);
				assertTrue(unscopedGrowth > 5 * (skips + 10), "without block scopes the temporaries pile up (grew by "
					+ unscopedGrowth + "), so this test can tell");
			}
		}
	}

	/** Live arrays when each attention kernel call starts. */
	private static List<Integer> liveAtEachAttention(NDManager root, UNet2DConditionModel unet, SafetensorsFile g,
		boolean training, boolean unscoped) throws IOException
	{
		List<Integer> counts = new ArrayList<>();
		AttentionKernel full = AttentionKernel.full();
		unet.setAttentionKernel((q, k, v, scale, bias, upcast) -> {
			counts.add(root.getManagedArrays().size());
			return full.attend(q, k, v, scale, bias, upcast);
		});
		try (NDManager s = root.newSubManager()) {
			NDArray x = g.load("sample", s);
			NDArray t = g.load("timesteps", s);
			NDArray ctx = g.load("encoder_hidden_states", s);
			NDArray row = s.randomNormal(new Shape(1, 1));
			if (training) {
				try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
					row.setRequiresGradient(true);
					NDArray xs = x.mul(row); // the whole forward then records a graph
					NDArray out = unscoped ? BlockScope.unscoped(() -> unet.forward(xs, t, ctx)) : unet.forward(xs, t, ctx);
					gc.backward(out.square().mean());
				}
			}
			else if (unscoped) BlockScope.unscoped(() -> unet.forward(x, t, ctx));
			else unet.forward(x, t, ctx);
		}
		finally {
			unet.setAttentionKernel(AttentionKernel.defaultKernel());
		}
		assertEquals(false, counts.isEmpty());
		return counts;
	}
}
