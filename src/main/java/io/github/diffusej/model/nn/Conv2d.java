package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Conv2d} with square kernel: weight [out, in, k, k], bias [out]; x [B, C, H, W]. */
public final class Conv2d extends AdaptableLayer {

	private final int kernel;
	private final int stride;
	private final int padding;

	public Conv2d(long in, long out, int kernel, int stride, int padding) {
		super(new long[] {out, in, kernel, kernel}, true);
		this.kernel = kernel;
		this.stride = stride;
		this.padding = padding;
	}

	public int kernel() {
		return kernel;
	}

	public int stride() {
		return stride;
	}

	public int padding() {
		return padding;
	}

	@Override
	public NDArray apply(NDArray x, NDArray w) {
		return conv(x, w, bias == null ? null : bias.as(x), stride, padding);
	}

	@Override
	public NDArray applyNoBias(NDArray x, NDArray w) {
		return conv(x, w, null, stride, padding);
	}

	/** Plain 2-D convolution with symmetric padding. */
	public static NDArray conv(NDArray x, NDArray w, NDArray b, int stride, int padding) {
		return ConvKernels.conv2d(x, w, b, stride, padding);
	}
}
