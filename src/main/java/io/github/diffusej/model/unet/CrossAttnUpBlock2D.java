package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** diffusers {@code CrossAttnUpBlock2D}: (resnet over [x, skip], transformer) pairs, then an optional upsampler. */
public final class CrossAttnUpBlock2D extends Module implements UNetUpBlock {

	private final List<ResnetBlock2D> resnets = new ArrayList<>();
	private final List<Transformer2DModel> attentions = new ArrayList<>();
	private final Upsample2D upsampler;

	CrossAttnUpBlock2D(BlockSpec s) {
		for (int j = 0; j < s.layers(); j++) {
			long skip = j == s.layers() - 1 ? s.skip() : s.out();
			long in = j == 0 ? s.in() : s.out();
			resnets.add(child("resnets." + j, new ResnetBlock2D(in + skip, s.out(), s.temb(), s.groups(), s.eps())));
		}
		for (int j = 0; j < s.layers(); j++) {
			attentions.add(child("attentions." + j, new Transformer2DModel(s.out(), s.heads(), s.transformerLayers(),
				s.crossDim(), s.groups(), s.linearProjection(), s.upcastAttention())));
		}
		upsampler = s.resample() ? child("upsamplers.0", new Upsample2D(s.out())) : null;
	}

	@Override
	public int layers() {
		return resnets.size();
	}

	@Override
	public NDArray forward(NDArray x, NDArray temb, NDArray context, Deque<NDArray> skips, long[] upsampleSize) {
		for (int j = 0; j < resnets.size(); j++) {
			x = resnets.get(j).forward(NDArrays.concat(new NDList(x, skips.pop()), 1), temb);
			x = attentions.get(j).forward(x, context);
		}
		if (upsampler != null) x = upsampler.forward(x, upsampleSize[0], upsampleSize[1]);
		return x;
	}
}
