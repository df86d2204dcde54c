package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A corpus of broken files: each must give a clear exception naming the file and the defect, never a crash. */
class SafetensorsCorruptTest {

	@TempDir
	static Path tmp;

	/** A file made of a raw header string and {@code dataBytes} zero bytes of data. */
	static Path file(String name, String header, int dataBytes) throws IOException {
		byte[] h = header.getBytes(StandardCharsets.UTF_8);
		ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(h.length).put(h);
		Path p = tmp.resolve(name + ".safetensors");
		Files.write(p, b.array());
		return p;
	}

	/** A file made of raw header bytes, {@code dataBytes} zero bytes of data, and a declared header length. */
	static Path raw(String name, byte[] header, long declaredLength, int dataBytes) throws IOException {
		ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(declaredLength).put(header);
		Path p = tmp.resolve(name + ".safetensors");
		Files.write(p, b.array());
		return p;
	}

	static byte[] concat(byte[]... parts) {
		int n = 0;
		for (byte[] p : parts) n += p.length;
		byte[] out = new byte[n];
		int o = 0;
		for (byte[] p : parts) {
			System.arraycopy(p, 0, out, o, p.length);
			o += p.length;
		}
		return out;
	}

	static byte[] utf8(String s) {
		return s.getBytes(StandardCharsets.UTF_8);
	}

	static Path withLength(String name, long length, int totalBytes) throws IOException {
		ByteBuffer b = ByteBuffer.allocate(totalBytes).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(length);
		Path p = tmp.resolve(name + ".safetensors");
		Files.write(p, b.array());
		return p;
	}

	static Stream<Arguments> corpus() throws IOException {
		String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
		Path good = file("good", ok, 16);
		byte[] goodBytes = Files.readAllBytes(good);
		Path truncData = tmp.resolve("trunc-data.safetensors");
		Files.write(truncData, Arrays.copyOf(goodBytes, goodBytes.length - 5));
		Path truncHeader = tmp.resolve("trunc-header.safetensors");
		Files.write(truncHeader, Arrays.copyOf(goodBytes, 20));
		Path tiny = tmp.resolve("tiny.safetensors");
		Files.write(tiny, new byte[] {1, 2, 3});
		return Stream.of(
			Arguments.of(tiny, "truncated"),
			Arguments.of(truncData, "past the end"),
			Arguments.of(truncHeader, "invalid header length"),
			Arguments.of(withLength("len2e40", 1L << 40, 64), "invalid header length 1099511627776"),
			Arguments.of(withLength("len2e9", 2_000_000_000L, 64), "invalid header length 2000000000"),
			Arguments.of(withLength("lenneg", -1L, 64), "invalid header length 18446744073709551615"),
			Arguments.of(file("past-end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
				"past the end"),
			Arguments.of(file("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}," +
				"\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "overlap"),
			Arguments.of(file("neg-shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16),
				"negative"),
			Arguments.of(file("float-shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}", 16),
				"not a 64-bit integer"),
			Arguments.of(file("str-shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"x\"],\"data_offsets\":[0,4]}}", 16),
				"not a number"),
			Arguments.of(file("huge-shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
				+ "\"data_offsets\":[0,16]}}", 16), "overflows"),
			Arguments.of(file("size-mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16),
				"needs 12 bytes"),
			Arguments.of(file("dtype", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,4]}}", 16),
				"unknown dtype 'Q4'"),
			Arguments.of(file("json", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],", 16), "not valid JSON"),
			Arguments.of(file("array", "[1,2,3]", 16), "not a JSON object"),
			Arguments.of(file("meta", "{\"__metadata__\":{\"k\":{\"nested\":1}}}", 0), "not a string"),
			Arguments.of(file("offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 16),
				"data_offsets must have 2 entries"),
			Arguments.of(file("reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 16),
				"8 > 4"),
			Arguments.of(tmp.resolve("missing.safetensors"), "file not found"),
			// the format's layout rules: contiguous from byte 0 to the end of the file
			Arguments.of(file("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
				"\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24), "a hole of 8 bytes"),
			Arguments.of(file("late-start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16),
				"starts at data byte 8, not 0"),
			Arguments.of(file("trailing", ok, 20), "4 bytes after the end of the last tensor 'a'"),
			Arguments.of(file("no-tensors-but-data", "{}", 8), "no tensors, but 8 data bytes"),
			Arguments.of(raw("short-length", utf8(ok + "        "), ok.length(), 16),
				"that is 8 bytes short"),
			// strict UTF-8 and strict JSON
			Arguments.of(raw("utf8", concat(utf8("{\"a"), new byte[] {(byte) 0xc3, 0x28}, utf8(ok.substring(3))),
				ok.length() + 1, 16), "not valid UTF-8"),
			Arguments.of(raw("bom", concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8(ok)), ok.length() + 3,
				16), "byte-order mark"),
			Arguments.of(file("single-quotes", ok.replace("\"a\"", "'a'"), 16), "double quotes"),
			Arguments.of(file("comment", ok + " // weights", 16), "text after the end"),
			Arguments.of(file("comment2", "{/* x */" + ok.substring(1), 16), "no comments"),
			Arguments.of(file("control", ok.replace("\"a\"", "\"a\tb\""), 16), "raw control character U+0009"),
			Arguments.of(file("trailing-comma", ok.substring(0, ok.length() - 1) + ",}", 16), "a comma before '}'"),
			Arguments.of(file("duplicate", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
				"\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "occurs twice"),
			Arguments.of(file("nan", ok.replace("[2,2]", "[NaN,2]"), 16), "NaN is not JSON"),
			Arguments.of(file("dtype-number", ok.replace("\"F32\"", "5"), 16), "dtype 5 is not a string"),
			Arguments.of(file("deep", ok.replace("[2,2]", "[" + "[".repeat(100_000) + "]".repeat(100_000) + "]"), 16),
				"nested deeper than 8 levels"));
	}

	@ParameterizedTest(name = "{1}")
	@MethodSource("corpus")
	void brokenFilesGiveClearErrors(Path p, String defect) {
		long before = usedHeap();
		SafetensorsException e = assertThrows(SafetensorsException.class, () -> {
			try (SafetensorsFile f = SafetensorsFile.open(p)) {
				for (String n : f.names()) f.floats(n);
			}
		});
		assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
		assertTrue(e.getMessage().contains(defect), "names the defect '" + defect + "': " + e.getMessage());
		assertTrue(usedHeap() - before < 64L << 20, "no large allocation for " + p);
	}

	/** A header of a million entries is refused by its size, while it is parsed, without filling the heap. */
	@Test
	void millionsOfEntriesAreRefusedByTheirSize() throws IOException {
		StringBuilder sb = new StringBuilder("{");
		for (int i = 0; i < 1_000_000; i++) {
			if (i > 0) sb.append(',');
			sb.append("\"t").append(i).append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
		}
		Path p = file("million", sb.append('}').toString(), 0);
		sb = null;
		long before = usedHeap();
		SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p).close());
		assertTrue(e.getMessage().startsWith(p + ": header too large"), e.getMessage());
		assertTrue(e.getMessage().contains("up to " + SafetensorsFile.MAX_TENSORS + " tensors"), e.getMessage());
		assertTrue(usedHeap() - before < 1L << 30, "bounded allocation: " + (usedHeap() - before));
		Files.delete(p);
	}

	static long usedHeap() {
		Runtime r = Runtime.getRuntime();
		return r.totalMemory() - r.freeMemory();
	}

	@Test
	void halfPrecisionIsWidenedInJava() throws IOException {
		float[] values = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, Float.POSITIVE_INFINITY, 0.1f, 3.14159f};
		Path p = tmp.resolve("half.safetensors");
		long[] shape = {values.length};
		ByteBuffer bf = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
		for (int i = 0; i < values.length; i++) bf.putShort(2 * i, HalfFloats.floatToBf16(values[i]));
		new SafetensorsWriter().putFloatsAsF16("h", shape, values).put("b", Dtype.BF16, shape, bf)
			.metadata("format", "pt").write(p);
		try (SafetensorsFile f = SafetensorsFile.open(p); NDManager m = NDManager.newBaseManager()) {
			assertEquals("pt", f.metadata().get("format"));
			float[] h = f.floats("h");
			float[] b = f.floats("b");
			for (int i = 0; i < values.length; i++) {
				// Exact for values representable in the narrow type; otherwise within its precision.
				assertEquals(values[i], h[i], Math.abs(values[i]) * 1e-3f, "F16 " + values[i]);
				assertEquals(values[i], b[i], Math.abs(values[i]) * 8e-3f, "BF16 " + values[i]);
			}
			assertEquals(0x3c00, HalfFloats.floatToF16(1f) & 0xffff);
			assertEquals(0x7bff, HalfFloats.floatToF16(65504f) & 0xffff);
			assertEquals(1, HalfFloats.floatToF16(5.9604645e-8f), "smallest subnormal");
			// BF16 reaches DJL only as F32 (a BF16 NDArray would abort the JVM).
			NDArray nb = f.load("b", m);
			assertEquals(DataType.FLOAT32, nb.getDataType());
			assertArrayEquals(b, nb.toFloatArray());
			NDArray nh = f.load("h", m);
			assertEquals(DataType.FLOAT16, nh.getDataType());
			assertArrayEquals(h, nh.toType(DataType.FLOAT32, false).toFloatArray());
			assertArrayEquals(h, f.load("h", m, DataType.FLOAT32).toFloatArray());
		}
		// F16 bit patterns round-trip exactly through float.
		for (int bits = 0; bits < 0x10000; bits++) {
			float f = HalfFloats.f16ToFloat((short) bits);
			if (Float.isNaN(f)) continue;
			assertEquals(bits, HalfFloats.floatToF16(f) & 0xffff, "F16 bits " + Integer.toHexString(bits));
		}
	}

	@Test
	void headerIsPaddedAndSorted() throws IOException {
		Path p = tmp.resolve("sorted.safetensors");
		new SafetensorsWriter().putFloats("zeta", new long[] {1}, new float[] {1})
			.putLongs("ids", new long[] {2}, new long[] {7, 8}).putFloats("alpha", new long[] {}, new float[] {4})
			.metadata("ss_network_dim", "4").write(p);
		byte[] all = Files.readAllBytes(p);
		long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
		assertEquals(0, n % 8, "header padded to 8 bytes");
		try (SafetensorsFile f = SafetensorsFile.open(p)) {
			assertEquals(java.util.List.of("ids", "alpha", "zeta"), java.util.List.copyOf(f.names()),
				"8-byte dtypes first, then by name");
			assertArrayEquals(new long[] {}, f.info("alpha").shape(), "scalar shape []");
			assertArrayEquals(new long[] {7, 8}, f.longs("ids"));
			assertEquals("4", f.metadata().get("ss_network_dim"));
		}
		assertFalse(Files.list(tmp).anyMatch(x -> x.getFileName().toString().endsWith(".tmp")), "no temp file left");
	}

	@Test
	void failedWriteKeepsTheOldFile() throws IOException {
		Path p = tmp.resolve("keep.safetensors");
		new SafetensorsWriter().putFloats("a", new long[] {1}, new float[] {1}).write(p);
		byte[] before = Files.readAllBytes(p);
		IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(p, ch -> {
			ch.write(ByteBuffer.wrap(new byte[100]));
			throw new IOException("No space left on device");
		}));
		assertTrue(e.getMessage().contains(p.getFileName().toString()) && e.getMessage().contains("No space"));
		assertArrayEquals(before, Files.readAllBytes(p));
		assertFalse(Files.list(tmp).anyMatch(x -> x.getFileName().toString().endsWith(".tmp")), "no temp file left");
	}

	/** Files over 2 GiB are mapped tensor by tensor: a 3 GiB sparse file opens and its last tensor reads. */
	@Test
	void threeGigabyteFileOpens() throws IOException {
		long gib = 1L << 30;
		long big = 3 * gib - 64;
		if (tmp.toFile().getUsableSpace() < 4 * gib) {
			System.err.println("SKIPPED threeGigabyteFileOpens: less than 4 GiB free in " + tmp);
			org.junit.jupiter.api.Assumptions.abort("not enough disk for a 3 GiB sparse file");
		}
		String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]}," +
			"\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + big + "," + (big + 16) + "]}}";
		byte[] h = header.getBytes(StandardCharsets.UTF_8);
		Path p = tmp.resolve("sparse3g.safetensors");
		try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
			ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
			raf.write(len.array());
			raf.write(h);
			raf.seek(8 + h.length + big);
			ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
			tail.asFloatBuffer().put(new float[] {1, 2, 3, 4});
			raf.write(tail.array());
		}
		try (SafetensorsFile f = SafetensorsFile.open(p)) {
			assertTrue(Files.size(p) > 3 * gib - 100);
			assertArrayEquals(new float[] {1, 2, 3, 4}, f.floats("tail"));
			assertThrows(SafetensorsException.class, () -> f.floats("big"), "U8 is no float type");
		}
		finally {
			Files.delete(p);
		}
	}
}
