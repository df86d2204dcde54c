package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;

/** diffusers {@code UNetMidBlock2DCrossAttn} (one layer): resnet, transformer, resnet. */
public final class UNetMidBlock2DCrossAttn extends Module {

	private final ResnetBlock2D resnet0;
	private final Transformer2DModel attention;
	private final ResnetBlock2D resnet1;

	UNetMidBlock2DCrossAttn(BlockSpec s) {
		resnet0 = child("resnets.0", new ResnetBlock2D(s.in(), s.in(), s.temb(), s.groups(), s.eps()));
		attention = child("attentions.0", new Transformer2DModel(s.in(), s.heads(), s.transformerLayers(), s.crossDim(),
			s.groups(), s.linearProjection(), s.upcastAttention()));
		resnet1 = child("resnets.1", new ResnetBlock2D(s.in(), s.in(), s.temb(), s.groups(), s.eps()));
	}

	NDArray forward(NDArray x, NDArray temb, NDArray context) {
		return BlockScope.run(() -> {
			NDArray r = resnet0.forward(x, temb);
			NDArray a = attention.forward(r, context);
			BlockScope.free(r);
			NDArray out = resnet1.forward(a, temb);
			BlockScope.free(a);
			return out;
		});
	}
}
