package io.github.diffusej.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.adapter.LoraAdapter;
import io.github.diffusej.model.clip.CLIPTextModel;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.unet.TrainingForward;
import io.github.diffusej.model.unet.UNet2DConditionModel;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One training step on tiny-sd1 with LoRA adapters on layers all over the UNet (conv_in and the time embedding,
 * which lie upstream of every block, down/mid/up resnets and attentions, the upsampler, conv_out) and a trainable
 * token row upstream of the text context, so that every path a gradient can take is exercised. The adapters are
 * made from a fixed Java seed with non-zero up matrices, so each LoRA tensor has a gradient. Returns the output
 * and every trainable's gradient for a given way of running forward and backward.
 */
final class GradientHarness implements AutoCloseable {

	static final List<String> LAYERS = List.of("conv_in", "time_embedding.linear_1",
		"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
		"down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k", "down_blocks.0.downsamplers.0.conv",
		"down_blocks.1.resnets.0.conv1", "down_blocks.1.resnets.1.time_emb_proj",
		"mid_block.attentions.0.transformer_blocks.0.attn2.to_v", "mid_block.resnets.1.conv2",
		"up_blocks.0.resnets.2.conv_shortcut", "up_blocks.0.upsamplers.0.conv",
		"up_blocks.1.attentions.2.transformer_blocks.0.ff.net.2", "up_blocks.1.attentions.0.proj_in", "conv_out");

	/** How a step runs forward and backward. */
	enum Mode { PLAIN, CHECKPOINTED, UNSCOPED }

	record Result(float[] output, float loss, Map<String, float[]> grads) {}

	final NDManager m;
	final SafetensorsFile g;
	final CLIPTextModel te;
	final UNet2DConditionModel unet;

	GradientHarness() throws IOException {
		m = NDManager.newBaseManager();
		g = SafetensorsFile.open(Golden.vectors("train_textual_inversion.safetensors"));
		te = CLIPTextModelTest.load(m, DataType.FLOAT32);
		unet = UNet2DConditionModelTest.load(m, DataType.FLOAT32);
	}

	/** One step with fresh trainables (same values every call); {@code seed} scales the loss gradient. */
	Result step(Mode mode, float seed) throws IOException {
		try (NDManager s = m.newSubManager()) {
			Map<String, NDArray> trainables = new LinkedHashMap<>();
			Random rng = new Random(7);
			for (String path : LAYERS) {
				AdaptableLayer l = unet.layer(path);
				LoraAdapter fresh = LoraAdapter.create(l, 2, 2, new io.github.diffusej.Rng(7), s, DataType.FLOAT32);
				NDArray down = random(s, fresh.down().getShape(), rng, 0.3);
				NDArray up = random(s, fresh.up().getShape(), rng, 0.3);
				down.setRequiresGradient(true);
				up.setRequiresGradient(true);
				l.addAdapter("lora", LoraAdapter.of(l, down, up, 2, true));
				trainables.put(path + ".down", down);
				trainables.put(path + ".up", up);
			}
			NDArray row = g.load("embedding_row_before", s).reshape(1, -1);
			row.setRequiresGradient(true);
			te.embeddings().setExtraTokens(row);
			trainables.put("token row", row);
			try {
				float[] out;
				float loss;
				try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
					NDArray ids = g.load("input_ids", s);
					NDArray x = g.load("noisy_latents", s);
					NDArray t = g.load("timesteps", s);
					NDArray target = g.load("target", s);
					NDArray l;
					if (mode == Mode.UNSCOPED) {
						NDArray pred = BlockScope.unscoped(() -> unet.forward(x, t, te.forward(ids).lastHiddenState()));
						out = pred.toFloatArray();
						l = pred.sub(target).square().mean();
						if (seed == 1) gc.backward(l);
						else JniUtils.backward((PtNDArray) l, (PtNDArray) s.full(l.getShape(), seed), false, false);
					}
					else {
						unet.setGradientCheckpointing(mode == Mode.CHECKPOINTED);
						TrainingForward f = unet.forwardForTraining(x, t, te.forward(ids).lastHiddenState());
						out = f.output().toFloatArray();
						l = f.output().sub(target).square().mean();
						if (seed == 1) f.backward(gc, l);
						else f.backward(l, s.full(l.getShape(), seed));
					}
					loss = l.getFloat();
				}
				Map<String, float[]> grads = new LinkedHashMap<>();
				trainables.forEach((k, v) -> grads.put(k, v.getGradient().toFloatArray()));
				return new Result(out, loss, grads);
			}
			finally {
				unet.setGradientCheckpointing(false);
				unet.removeAdapters("lora");
				te.embeddings().setExtraTokens(null);
			}
		}
	}

	private static NDArray random(NDManager s, Shape shape, Random rng, double scale) {
		float[] v = new float[(int) shape.size()];
		for (int i = 0; i < v.length; i++) v[i] = (float) (scale * rng.nextGaussian());
		return s.create(v, shape);
	}

	@Override
	public void close() throws IOException {
		g.close();
		m.close();
	}
}
