package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** diffusers {@code CrossAttnDownBlock2D}: (resnet, transformer) pairs, then an optional stride-2 conv. */
public final class CrossAttnDownBlock2D extends Module implements UNetDownBlock {

	private final List<ResnetBlock2D> resnets = new ArrayList<>();
	private final List<Transformer2DModel> attentions = new ArrayList<>();
	private final Downsample2D downsampler;

	CrossAttnDownBlock2D(BlockSpec s) {
		for (int j = 0; j < s.layers(); j++) {
			resnets.add(child("resnets." + j, new ResnetBlock2D(j == 0 ? s.in() : s.out(), s.out(), s.temb(),
				s.groups(), s.eps())));
		}
		for (int j = 0; j < s.layers(); j++) {
			attentions.add(child("attentions." + j, new Transformer2DModel(s.out(), s.heads(), s.transformerLayers(),
				s.crossDim(), s.groups(), s.linearProjection(), s.upcastAttention())));
		}
		downsampler = s.resample() ? child("downsamplers.0", new Downsample2D(s.out(), s.downsamplePadding())) : null;
	}

	@Override
	public NDList forward(NDArray x, NDArray temb, NDArray context) {
		return BlockScope.runAll(() -> {
			NDList states = new NDList();
			NDArray h = x;
			for (int j = 0; j < resnets.size(); j++) {
				NDArray r = resnets.get(j).forward(h, temb);
				h = attentions.get(j).forward(r, context);
				BlockScope.free(r);
				states.add(h);
			}
			if (downsampler != null) states.add(downsampler.forward(h));
			return states;
		});
	}
}
