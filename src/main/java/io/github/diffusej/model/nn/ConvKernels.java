package io.github.diffusej.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * How a 2-D convolution is computed. PyTorch's CPU convolution (oneDNN) reorders the whole weight into its own
 * layout on every call, which dominates when the weight is large and the image small: the UNet's 1280- and
 * 2560-channel 3x3 convolutions at 4x4 to 16x16 run at 10-40 GFLOP/s that way. There, the convolution is one
 * matrix product with the weight as it is ({@code W[Cout, Cin·k·k] · cols[Cin·k·k, H·W]}, the columns gathered
 * from k·k shifted views of the padded input), at 35-80 GFLOP/s. Everything else goes to PyTorch's convolution.
 * Both paths are differentiable; they agree to float32 rounding (tested).
 */
public final class ConvKernels {

	private ConvKernels() {}

	/** x [B, Cin, H, W], w [Cout, Cin, k, k], b [Cout] or null; square kernel, symmetric padding. */
	public static NDArray conv2d(NDArray x, NDArray w, NDArray b, int stride, int padding) {
		if (useMatmul(x, w, stride, padding)) return matmulConv(x, w, b, padding);
		return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding),
			new Shape(1, 1), 1).singletonOrThrow();
	}

	/**
	 * Whether the matrix-product path is faster (measured on 1 and 2 CPU threads): stride 1, "same" padding, a
	 * weight of at least 1280 input channels, and at most 512 output positions per image batch (for 4x4 images,
	 * only from 1920 input channels on). Never on a GPU, whose convolutions do not reorder per call.
	 */
	static boolean useMatmul(NDArray x, NDArray w, int stride, int padding) {
		if (x.getDevice().isGpu() || stride != 1) return false;
		Shape ws = w.getShape();
		long k = ws.get(2);
		if (ws.get(3) != k || 2L * padding != k - 1) return false;
		Shape xs = x.getShape();
		long cin = xs.get(1);
		long positions = xs.get(0) * xs.get(2) * xs.get(3);
		if (k == 1) return false; // no reorder cost worth avoiding: PyTorch already runs 1x1 as a matrix product
		return positions <= 512 && (cin >= 1920 || cin >= 1280 && positions >= 64);
	}

	/** The convolution as one matrix product over gathered columns (the im2col formulation). */
	static NDArray matmulConv(NDArray x, NDArray w, NDArray b, int padding) {
		Shape xs = x.getShape();
		long n = xs.get(0), c = xs.get(1), h = xs.get(2), wd = xs.get(3);
		long cout = w.getShape().get(0);
		int k = (int) w.getShape().get(2);
		NDArray xp = padding == 0 ? x : x.pad(new Shape(padding, padding, padding, padding), 0);
		NDList shifted = new NDList();
		for (int i = 0; i < k; i++) {
			for (int j = 0; j < k; j++) shifted.add(xp.get(new NDIndex(":, :, {}:{}, {}:{}", i, i + h, j, j + wd)));
		}
		NDArray stacked = NDArrays.stack(shifted, 2); // [B, Cin, k·k, H, W]: the weight's (cin, ky, kx) order
		BlockScope.free(shifted);
		if (xp != x) BlockScope.free(xp);
		NDArray cols = stacked.reshape(n, c * k * k, h * wd);
		// results belong to the left operand's manager: keep the weight's view and the product in the input's scope
		NDArray w2 = Param.scoped(w.reshape(cout, c * k * k), x);
		NDArray y = w2.matMul(cols); // [B, Cout, H·W]
		BlockScope.free(stacked, cols, w2);
		NDArray out = y.reshape(n, cout, h, wd);
		BlockScope.free(y);
		if (b == null) return out;
		NDArray b4 = Param.scoped(b.reshape(1, cout, 1, 1), x);
		NDArray biased = out.add(b4);
		BlockScope.free(out, b4);
		return biased;
	}
}
