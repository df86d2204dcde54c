package io.github.diffusej.io;

import ai.djl.ndarray.types.DataType;

/** The element types a safetensors header may name, with their size in bytes. */
public enum Dtype {
	F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
	F8_E4M3(1), F8_E5M2(1);

	public final int size;

	Dtype(int size) {
		this.size = size;
	}

	/** Parses a header dtype string, or null when unknown. */
	public static Dtype parse(String s) {
		for (Dtype d : values())
			if (d.name().equals(s)) return d;
		return null;
	}

	public boolean isFloat() {
		return this == F64 || this == F32 || this == F16 || this == BF16 || this == F8_E4M3 || this == F8_E5M2;
	}

	/**
	 * The DJL type that holds this dtype without loss, or null when DJL cannot hold it natively.
	 * BF16 is deliberately null: creating a BF16 NDArray aborts the JVM in DJL 0.36 (see djl-notes).
	 */
	public DataType djlType() {
		return switch (this) {
			case F64 -> DataType.FLOAT64;
			case F32 -> DataType.FLOAT32;
			case F16 -> DataType.FLOAT16;
			case I64 -> DataType.INT64;
			case I32 -> DataType.INT32;
			case I16 -> DataType.INT16;
			case I8 -> DataType.INT8;
			case U8 -> DataType.UINT8;
			case BOOL -> DataType.BOOLEAN;
			default -> null;
		};
	}

	/** The safetensors dtype of a DJL type. */
	public static Dtype of(DataType t) {
		return switch (t) {
			case FLOAT64 -> F64;
			case FLOAT32 -> F32;
			case FLOAT16 -> F16;
			case INT64 -> I64;
			case INT32 -> I32;
			case INT16 -> I16;
			case INT8 -> I8;
			case UINT8 -> U8;
			case BOOLEAN -> BOOL;
			default -> throw new IllegalArgumentException("no safetensors dtype for DJL type " + t);
		};
	}
}
