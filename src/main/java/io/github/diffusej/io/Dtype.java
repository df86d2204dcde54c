package io.github.diffusej.io;

import ai.djl.ndarray.types.DataType;
import java.util.EnumSet;
import java.util.Set;

/**
 * The element types a safetensors header may name (the reference implementation's list), with their size in
 * bytes, and how each one reaches DJL.
 *
 * <p>DJL 0.36 with PyTorch 2.7.1 aborts the whole JVM ({@code std::terminate}, exit 134) when an array of
 * BFLOAT16, INT16, UINT16, UINT32, UINT64 or UNKNOWN is created; COMPLEX64 arrays are silently created as FLOAT32
 * of the wrong length (checked on this project's machines, one JVM per type). So only the types in
 * {@link #DJL_SAFE} are ever handed to DJL; every other dtype is widened in Java ({@link #widened()}).
 */
public enum Dtype {
	F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
	F8_E4M3(1), F8_E5M2(1);

	/** The DJL types whose arrays DJL 0.36 creates correctly; no other type may reach {@code manager.create}. */
	public static final Set<DataType> DJL_SAFE = Set.copyOf(EnumSet.of(DataType.FLOAT64, DataType.FLOAT32,
		DataType.FLOAT16, DataType.INT64, DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOLEAN));

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

	public boolean isInteger() {
		return !isFloat() && this != BOOL;
	}

	/**
	 * The DJL type that holds this dtype bit for bit, or null when DJL cannot create such an array safely
	 * (BF16, the 8-bit floats, I16 and the unsigned types wider than a byte).
	 */
	public DataType djlType() {
		return switch (this) {
			case F64 -> DataType.FLOAT64;
			case F32 -> DataType.FLOAT32;
			case F16 -> DataType.FLOAT16;
			case I64 -> DataType.INT64;
			case I32 -> DataType.INT32;
			case I8 -> DataType.INT8;
			case U8 -> DataType.UINT8;
			case BOOL -> DataType.BOOLEAN;
			default -> null;
		};
	}

	/**
	 * The safe DJL type this dtype is loaded as by default: itself when DJL holds it, else the narrowest safe type
	 * that holds every value exactly (BF16 and F8 as FLOAT32, I16 and U16 as INT32, U32 as INT64; U64 as INT64,
	 * refused at load time for values above {@code Long.MAX_VALUE}).
	 */
	public DataType widened() {
		DataType t = djlType();
		if (t != null) return t;
		return switch (this) {
			case BF16, F8_E4M3, F8_E5M2 -> DataType.FLOAT32;
			case I16, U16 -> DataType.INT32;
			case U32, U64 -> DataType.INT64;
			default -> throw new IllegalStateException("no widening for " + this);
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
