package io.github.diffusej.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.github.diffusej.model.nn.BlockScope;
import io.github.diffusej.model.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** diffusers {@code UpBlock2D}: resnets over [x, skip] concatenations, then an optional upsampler. */
public final class UpBlock2D extends Module implements UNetUpBlock {

	private final List<ResnetBlock2D> resnets = new ArrayList<>();
	private final Upsample2D upsampler;

	UpBlock2D(BlockSpec s) {
		for (int j = 0; j < s.layers(); j++) {
			long skip = j == s.layers() - 1 ? s.skip() : s.out();
			long in = j == 0 ? s.in() : s.out();
			resnets.add(child("resnets." + j, new ResnetBlock2D(in + skip, s.out(), s.temb(), s.groups(), s.eps())));
		}
		upsampler = s.resample() ? child("upsamplers.0", new Upsample2D(s.out())) : null;
	}

	@Override
	public int layers() {
		return resnets.size();
	}

	@Override
	public NDArray forward(NDArray x, List<NDArray> skips, NDArray temb, NDArray context, long[] upsampleSize) {
		return BlockScope.run(() -> {
			NDArray h = x;
			for (int j = 0; j < resnets.size(); j++) {
				NDArray cat = NDArrays.concat(new NDList(h, skips.get(j)), 1); // [B, C + Cskip, H, W]
				if (h != x) BlockScope.free(h);
				h = resnets.get(j).forward(cat, temb);
				BlockScope.free(cat);
			}
			if (upsampler == null) return h;
			NDArray up = upsampler.forward(h, upsampleSize[0], upsampleSize[1]);
			BlockScope.free(h);
			return up;
		});
	}
}
