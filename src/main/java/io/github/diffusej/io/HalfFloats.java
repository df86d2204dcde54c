package io.github.diffusej.io;

/** IEEE half (F16) and bfloat16 (BF16) conversions done in Java, since DJL cannot hold BF16 at all. */
public final class HalfFloats {

	private HalfFloats() {}

	/** BF16 is the upper half of an F32: widening is exact. */
	public static float bf16ToFloat(short bits) {
		return Float.intBitsToFloat((bits & 0xffff) << 16);
	}

	/** Exact F16 to F32 widening, subnormals, infinities and NaN included. */
	public static float f16ToFloat(short bits) {
		int h = bits & 0xffff;
		int sign = (h & 0x8000) << 16;
		int exp = (h >>> 10) & 0x1f;
		int mant = h & 0x3ff;
		if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
		if (exp != 0) return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
		if (mant == 0) return Float.intBitsToFloat(sign);
		// Subnormal half: normalise the mantissa.
		int e = -1;
		do {
			mant <<= 1;
			e++;
		} while ((mant & 0x400) == 0);
		return Float.intBitsToFloat(sign | ((112 - e) << 23) | ((mant & 0x3ff) << 13));
	}

	/** FP8 E5M2 (PyTorch {@code float8_e5m2}) is the upper byte of an F16: widening is exact. */
	public static float f8e5m2ToFloat(byte bits) {
		return f16ToFloat((short) ((bits & 0xff) << 8));
	}

	/**
	 * FP8 E4M3 as PyTorch's {@code float8_e4m3fn} and the safetensors {@code F8_E4M3} mean it: exponent bias 7, no
	 * infinities, NaN for an all-ones exponent and mantissa; exact.
	 */
	public static float f8e4m3ToFloat(byte bits) {
		int b = bits & 0xff;
		float sign = (b & 0x80) != 0 ? -1f : 1f;
		int exp = (b >>> 3) & 0xf;
		int mant = b & 0x7;
		if (exp == 0xf && mant == 0x7) return Float.NaN;
		if (exp == 0) return sign * mant * 0x1p-9f; // subnormal: mant/8 * 2^-6
		return sign * (1f + mant / 8f) * Math.scalb(1f, exp - 7);
	}

	/** F32 to F16 with round-to-nearest-even, as PyTorch's {@code .half()} does. */
	public static short floatToF16(float f) {
		int x = Float.floatToRawIntBits(f);
		int sign = (x >>> 16) & 0x8000;
		int exp = (x >>> 23) & 0xff;
		int mant = x & 0x7fffff;
		if (exp == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
		int e = exp - 127 + 15;
		if (e >= 0x1f) return (short) (sign | 0x7c00);
		if (e <= 0) {
			if (e < -10) return (short) sign;
			mant |= 0x800000;
			int shift = 14 - e;
			int half = mant >>> shift;
			int rem = mant & ((1 << shift) - 1);
			int mid = 1 << (shift - 1);
			if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
			return (short) (sign | half);
		}
		int half = (e << 10) | (mant >>> 13);
		int rem = mant & 0x1fff;
		if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++;
		return (short) (sign | half);
	}

	/** F32 to BF16 with round-to-nearest-even (NaN kept quiet). */
	public static short floatToBf16(float f) {
		int x = Float.floatToRawIntBits(f);
		if ((x & 0x7fffffff) > 0x7f800000) return (short) ((x >>> 16) | 0x40);
		int rounding = 0x7fff + ((x >>> 16) & 1);
		return (short) ((x + rounding) >>> 16);
	}
}
