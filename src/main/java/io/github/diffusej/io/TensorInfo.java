package io.github.diffusej.io;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param begin offset of the first byte, relative to the start of the data section
 * @param end offset after the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

	public long numel() {
		long n = 1;
		for (long d : shape) n *= d;
		return n;
	}

	public long byteLength() {
		return end - begin;
	}

	@Override
	public String toString() {
		return name + " " + dtype + Arrays.toString(shape);
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
			&& t.begin == begin && t.end == end;
	}

	@Override
	public int hashCode() {
		return name.hashCode() * 31 + Arrays.hashCode(shape);
	}
}
