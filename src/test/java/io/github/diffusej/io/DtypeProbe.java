package io.github.diffusej.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child-JVM half of {@link SafetensorsDtypeTest}: writes one small tensor of every safetensors dtype and loads it
 * into DJL every way the reader offers. A dtype that reached DJL in a form that aborts the JVM kills this process,
 * not the test runner. Prints {@code OK <dtype>} or {@code FAIL <dtype>: why} per dtype, then {@code DONE}.
 */
public final class DtypeProbe {

	private DtypeProbe() {}

	/** Logical values per dtype (all exactly representable in it). */
	static double[] values(Dtype d) {
		return switch (d) {
			case F64 -> new double[] {0, 1, -2, 3.5, 1e300};
			case F32, F16, BF16, F8_E5M2, F8_E4M3 -> new double[] {0, 1, -2, 3.5};
			case I64 -> new double[] {0, 1, -2, 3, -9e15};
			case I32 -> new double[] {0, 1, -2, 2147483647};
			case I16 -> new double[] {0, 1, -2, -32768, 32767};
			case I8 -> new double[] {0, 1, -2, -128, 127};
			case U64 -> new double[] {0, 1, 9e15};
			case U32 -> new double[] {0, 1, 4_000_000_000.0};
			case U16 -> new double[] {0, 1, 65535};
			case U8 -> new double[] {0, 1, 255};
			case BOOL -> new double[] {0, 1, 1, 0};
		};
	}

	static ByteBuffer encode(Dtype d, double[] v) {
		ByteBuffer b = ByteBuffer.allocate(v.length * d.size).order(ByteOrder.LITTLE_ENDIAN);
		for (double x : v) {
			switch (d) {
				case F64 -> b.putDouble(x);
				case F32 -> b.putFloat((float) x);
				case F16 -> b.putShort(HalfFloats.floatToF16((float) x));
				case BF16 -> b.putShort(HalfFloats.floatToBf16((float) x));
				case F8_E5M2 -> b.put((byte) (HalfFloats.floatToF16((float) x) >> 8));
				case F8_E4M3 -> b.put(e4m3(x));
				case I64, U64 -> b.putLong((long) x);
				case I32 -> b.putInt((int) x);
				case U32 -> b.putInt((int) (long) x);
				case I16, U16 -> b.putShort((short) (long) x);
				case I8, U8, BOOL -> b.put((byte) (long) x);
			}
		}
		return b.flip();
	}

	/** The E4M3 bytes of the few values used here. */
	static byte e4m3(double x) {
		if (x == 0) return 0;
		if (x == 1) return 0x38;
		if (x == -2) return (byte) 0xc0;
		if (x == 3.5) return 0x46;
		throw new IllegalArgumentException("no E4M3 test encoding for " + x);
	}

	public static void main(String[] args) throws Exception {
		Path dir = Path.of(args[0]);
		Files.createDirectories(dir);
		try (NDManager m = NDManager.newBaseManager()) {
			for (Dtype d : Dtype.values()) {
				System.out.println("START " + d);
				System.out.flush();
				String problem;
				try {
					problem = probe(dir, d, m);
				}
				catch (Exception e) {
					problem = "unexpected " + e;
				}
				System.out.println(problem == null ? "OK " + d : "FAIL " + d + ": " + problem);
			}
		}
		System.out.println("DONE");
	}

	private static String probe(Path dir, Dtype d, NDManager m) throws Exception {
		double[] v = values(d);
		Path p = dir.resolve(d + ".safetensors");
		new SafetensorsWriter().put("t", d, new long[] {v.length}, encode(d, v)).write(p);
		try (SafetensorsFile f = SafetensorsFile.open(p)) {
			NDArray dflt = f.load("t", m);
			if (dflt.getDataType() != d.widened()) return "default load gave " + dflt.getDataType();
			double[] got = dflt.toType(DataType.FLOAT64, false).toDoubleArray();
			if (!Arrays.equals(got, v)) return "default load values " + Arrays.toString(got) + " != " + Arrays.toString(v);
			float[] fl = f.load("t", m, DataType.FLOAT32).toFloatArray();
			for (int i = 0; i < v.length; i++)
				if (fl[i] != (float) v[i]) return "FLOAT32 value " + i + " is " + fl[i] + ", expected " + (float) v[i];
			f.load("t", m, DataType.FLOAT16).toType(DataType.FLOAT32, false).toFloatArray();
			double[] f64 = f.load("t", m, DataType.FLOAT64).toDoubleArray();
			for (int i = 0; i < v.length; i++)
				if (f64[i] != (d == Dtype.F64 ? v[i] : (float) v[i])) return "FLOAT64 value " + i + " is " + f64[i];
			for (DataType target : DataType.values()) {
				if (Dtype.DJL_SAFE.contains(target) && !target.isFloating()) {
					// an integer target takes integer dtypes whose values fit, and refuses the rest by name
					try {
						f.load("t", m, target).toType(DataType.FLOAT64, false).toDoubleArray();
						if (d.isFloat()) return d + " loaded as " + target;
					}
					catch (SafetensorsException e) {
						if (!e.getMessage().startsWith(p.toString())) return "message without the file: " + e.getMessage();
					}
				}
				else if (!Dtype.DJL_SAFE.contains(target)) {
					try {
						f.load("t", m, target);
						return "loaded as the unsafe type " + target;
					}
					catch (SafetensorsException e) {
						if (!e.getMessage().contains("cannot hold " + target)) return "unclear refusal: " + e.getMessage();
					}
				}
			}
		}
		return null;
	}
}
