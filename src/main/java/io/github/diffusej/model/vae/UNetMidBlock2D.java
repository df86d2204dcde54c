package io.github.diffusej.model.vae;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import io.github.diffusej.model.unet.Attention;
import io.github.diffusej.model.unet.ResnetBlock2D;

/** diffusers {@code UNetMidBlock2D} as the VAE uses it: resnet, spatial attention, resnet (no time embedding). */
public final class UNetMidBlock2D extends Module {

	private final ResnetBlock2D resnet0;
	private final Attention attention;
	private final ResnetBlock2D resnet1;

	UNetMidBlock2D(long channels, int groups, double eps) {
		attention = child("attentions.0", Attention.spatial(channels, groups, eps));
		resnet0 = child("resnets.0", new ResnetBlock2D(channels, channels, 0, groups, eps));
		resnet1 = child("resnets.1", new ResnetBlock2D(channels, channels, 0, groups, eps));
	}

	/** x [B, C, H, W] -> same. */
	NDArray forward(NDArray x) {
		return BlockScope.run(() -> {
			NDArray r = resnet0.forward(x, null);
			NDArray a = attention.forward(r, null);
			BlockScope.free(r);
			NDArray out = resnet1.forward(a, null);
			BlockScope.free(a);
			return out;
		});
	}
}
