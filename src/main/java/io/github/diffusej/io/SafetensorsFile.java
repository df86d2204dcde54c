package io.github.diffusej.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read-only, memory-mapped view of a {@code .safetensors} file.
 *
 * <p>The file is checked against the format's rules, as the reference implementation (huggingface/safetensors)
 * applies them, before any tensor memory is touched: the 8-byte header length is bounded by the file and by
 * {@link #MAX_HEADER_BYTES}; the header is strict UTF-8 and strict JSON ({@link StrictJson}: no comments, single
 * quotes, byte-order mark, raw control characters or duplicate names; nesting and size bounded); every entry has
 * a known dtype, a shape of non-negative integers and {@code numel x dtype size} bytes; and the tensors tile the
 * data section exactly: the first starts at 0, each starts where the previous ends, the last ends at the end of
 * the file. A hole, trailing bytes or a header length a few bytes off is refused instead of being read shifted.
 * Tensors are mapped one at a time, so files larger than 2 GiB work as long as each tensor is under 2 GiB.
 *
 * <p>Only the DJL types in {@link Dtype#DJL_SAFE} are ever created: BF16 and F8 are widened to F32, I16/U16 to
 * I32 and U32/U64 to I64 in Java, because DJL 0.36 aborts the JVM on the others.
 */
public final class SafetensorsFile implements AutoCloseable {

	/** The reference implementation refuses headers over 100 MB ({@code MAX_HEADER_SIZE}); so do we. */
	public static final long MAX_HEADER_BYTES = 100_000_000L;
	/** At most this many tensors; an SD checkpoint has about 1,200 (SDXL 2,600), the largest LLM shards a few thousand. */
	public static final int MAX_TENSORS = 100_000;
	/**
	 * JSON values the header may hold: seven to ten per tensor (entry, dtype, shape and its dimensions, offsets and
	 * their two numbers) plus metadata. Checked while parsing, so a header of millions of entries is refused by its
	 * size before it fills the heap.
	 */
	static final long MAX_JSON_VALUES = 11L * MAX_TENSORS + 100_000;
	/** Entries nest three levels deep (header, entry, shape); anything deeper is not a safetensors header. */
	static final int MAX_DEPTH = 8;

	private final Path path;
	private final FileChannel channel;
	private final long dataStart;
	private final Map<String, TensorInfo> tensors;
	private final Map<String, String> metadata;

	private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
		Map<String, String> metadata)
	{
		this.path = path;
		this.channel = channel;
		this.dataStart = dataStart;
		this.tensors = tensors;
		this.metadata = metadata;
	}

	/** Opens and validates a file; throws {@link SafetensorsException} naming the file and the defect. */
	public static SafetensorsFile open(Path path) throws IOException {
		if (Files.isDirectory(path)) throw new SafetensorsException(path, "is a folder, not a .safetensors file");
		FileChannel ch;
		try {
			ch = FileChannel.open(path, StandardOpenOption.READ);
		}
		catch (NoSuchFileException e) {
			throw new SafetensorsException(path, "file not found");
		}
		catch (FileSystemException e) {
			throw new SafetensorsException(path, "cannot be opened (" + (e.getReason() == null ? e.getClass()
				.getSimpleName() : e.getReason()) + ")");
		}
		try {
			long size = ch.size();
			if (size < 8) throw new SafetensorsException(path,
				"truncated: " + size + " bytes, fewer than the 8-byte header length");
			ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			readFully(ch, lenBuf, 0);
			long n = lenBuf.getLong(0);
			if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) throw new SafetensorsException(path,
				"invalid header length " + Long.toUnsignedString(n) + " (file has " + size + " bytes; header must be 2.." +
					Math.min(MAX_HEADER_BYTES, size - 8) + " bytes) - truncated or not a safetensors file");
			ByteBuffer hdr = ByteBuffer.allocate((int) n);
			readFully(ch, hdr, 8);
			String json = decodeUtf8(path, hdr.array());
			long dataLength = size - 8 - n;
			Map<String, String> meta = new LinkedHashMap<>();
			Map<String, TensorInfo> infos = parseHeader(path, json, meta);
			checkLayout(path, infos, n, dataLength);
			return new SafetensorsFile(path, ch, 8 + n, infos, Collections.unmodifiableMap(meta));
		}
		catch (IOException | RuntimeException e) {
			ch.close();
			throw e;
		}
	}

	private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
		while (buf.hasRemaining()) {
			int r = ch.read(buf, pos + buf.position());
			if (r < 0) throw new IOException("unexpected end of file");
		}
	}

	/** The header bytes as text; malformed UTF-8 is refused, not replaced (the reference does the same). */
	static String decodeUtf8(Path path, byte[] header) throws SafetensorsException {
		CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT);
		ByteBuffer in = ByteBuffer.wrap(header);
		CharBuffer out = CharBuffer.allocate(header.length);
		CoderResult r = d.decode(in, out, true);
		if (r.isError()) throw new SafetensorsException(path, "header is not valid UTF-8: " + (r.isMalformed() ?
			"malformed" : "unmappable") + " byte sequence at header byte " + in.position() + " (file offset " +
			(8 + in.position()) + ") - not a safetensors file, or a header length that points into the data");
		d.flush(out);
		out.flip();
		return out.toString();
	}

	private static Map<String, TensorInfo> parseHeader(Path path, String json, Map<String, String> meta)
		throws SafetensorsException
	{
		JsonElement root;
		try {
			root = StrictJson.parse(json, StrictJson.Dialect.STRICT, MAX_DEPTH, MAX_JSON_VALUES);
		}
		catch (StrictJson.JsonError e) {
			if (e.tooLarge) throw new SafetensorsException(path, "header too large or too deep: " + e.getMessage() +
				" in a " + json.length() + "-character header; DiffuseJ reads headers of up to " + MAX_TENSORS +
				" tensors nested " + MAX_DEPTH + " levels (a Stable Diffusion checkpoint has about 1,200 tensors)");
			throw new SafetensorsException(path, "header is not valid JSON: " + e.getMessage());
		}
		if (!root.isJsonObject()) throw new SafetensorsException(path, "header is not a JSON object");
		JsonObject top = root.getAsJsonObject();
		int count = top.size() - (top.has("__metadata__") ? 1 : 0);
		if (count > MAX_TENSORS) throw new SafetensorsException(path, "header too large: " + count + " tensors in a " +
			json.length() + "-character header; DiffuseJ reads at most " + MAX_TENSORS + " tensors per file");
		Map<String, TensorInfo> infos = new LinkedHashMap<>();
		for (Map.Entry<String, JsonElement> e : top.entrySet()) {
			String name = e.getKey();
			if (name.equals("__metadata__")) {
				if (!e.getValue().isJsonObject()) throw new SafetensorsException(path, "__metadata__ is not an object");
				for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
					if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString()) throw new SafetensorsException(path,
						"__metadata__ value of '" + m.getKey() + "' is not a string");
					meta.put(m.getKey(), p.getAsString());
				}
				continue;
			}
			infos.put(name, parseEntry(path, name, e.getValue()));
		}
		return Collections.unmodifiableMap(infos);
	}

	/**
	 * The reference's layout rule: sorted by offsets, the tensors tile the data section from byte 0 to its end
	 * without a gap or an overlap. Zero-byte tensors take no room and may sit at any boundary.
	 */
	private static void checkLayout(Path path, Map<String, TensorInfo> infos, long headerLength, long dataLength)
		throws SafetensorsException
	{
		List<TensorInfo> byOffset = new ArrayList<>(infos.values());
		byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
		long expected = 0;
		TensorInfo prev = null;
		for (TensorInfo t : byOffset) {
			if (t.end() > dataLength) throw new SafetensorsException(path, "tensor '" + t.name() + "': data_offsets end "
				+ t.end() + " lies past the end of the data (" + dataLength + " bytes): file truncated?");
			if (t.begin() < expected) throw new SafetensorsException(path, "tensors '" + prev.name() + "' and '" +
				t.name() + "' overlap (bytes " + t.begin() + ".." + expected + " of the data)");
			if (t.begin() > expected) throw new SafetensorsException(path, (prev == null ? "the first tensor '" +
				t.name() + "' starts at data byte " + t.begin() + ", not 0" : "a hole of " + (t.begin() - expected) +
				" bytes between tensors '" + prev.name() + "' (ends at data byte " + expected + ") and '" + t.name() +
				"' (starts at " + t.begin() + ")") + ": the format requires contiguous tensors; the file is damaged " +
				"or was not written by a safetensors writer");
			expected = t.end();
			if (t.byteLength() > 0 || prev == null) prev = t;
		}
		if (expected != dataLength) {
			long extra = dataLength - expected;
			throw new SafetensorsException(path, (infos.isEmpty() ? "no tensors, but " + dataLength + " data bytes"
				: extra + " bytes after the end of the last tensor '" + prev.name() + "' (the tensors end at data byte " +
					expected + ", the file's data section has " + dataLength + " bytes)") + ": trailing bytes, or a " +
				"header length (" + headerLength + ") that is " + extra + " bytes short; the format requires the " +
				"last tensor to end at the end of the file");
		}
	}

	private static TensorInfo parseEntry(Path path, String name, JsonElement v) throws SafetensorsException {
		String where = "tensor '" + name + "': ";
		if (!v.isJsonObject()) throw new SafetensorsException(path, where + "entry is not an object");
		JsonObject o = v.getAsJsonObject();
		JsonElement dt = o.get("dtype");
		if (dt == null) throw new SafetensorsException(path, where + "missing dtype");
		if (!(dt instanceof JsonPrimitive dp) || !dp.isString()) throw new SafetensorsException(path,
			where + "dtype " + dt + " is not a string");
		Dtype dtype = Dtype.parse(dp.getAsString());
		if (dtype == null) throw new SafetensorsException(path, where + "unknown dtype '" + dp.getAsString() +
			"' (known: " + java.util.Arrays.toString(Dtype.values()) + ")");
		long[] shape = longArray(path, where + "shape", o.get("shape"), -1);
		long[] offsets = longArray(path, where + "data_offsets", o.get("data_offsets"), 2);
		long numel = 1;
		try {
			for (long d : shape) numel = Math.multiplyExact(numel, d);
			long bytes = Math.multiplyExact(numel, dtype.size);
			if (offsets[0] > offsets[1]) throw new SafetensorsException(path,
				where + "data_offsets " + offsets[0] + " > " + offsets[1]);
			if (offsets[1] - offsets[0] != bytes) throw new SafetensorsException(path, where + "shape " +
				java.util.Arrays.toString(shape) + " x " + dtype + " needs " + bytes + " bytes but data_offsets span " +
				(offsets[1] - offsets[0]));
		}
		catch (ArithmeticException ex) {
			throw new SafetensorsException(path, where + "shape overflows: " + java.util.Arrays.toString(shape));
		}
		return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
	}

	private static long[] longArray(Path path, String what, JsonElement v, int expectedLength)
		throws SafetensorsException
	{
		if (v == null || !v.isJsonArray()) throw new SafetensorsException(path, what + " missing or not an array");
		JsonArray a = v.getAsJsonArray();
		if (expectedLength >= 0 && a.size() != expectedLength) throw new SafetensorsException(path,
			what + " must have " + expectedLength + " entries, has " + a.size());
		long[] out = new long[a.size()];
		for (int i = 0; i < out.length; i++) {
			JsonElement e = a.get(i);
			if (!(e instanceof JsonPrimitive p) || !p.isNumber()) throw new SafetensorsException(path,
				what + " entry " + e + " is not a number");
			BigDecimal d;
			try {
				d = p.getAsBigDecimal();
			}
			catch (NumberFormatException ex) {
				throw new SafetensorsException(path, what + " entry " + e + " is not a number");
			}
			if (d.signum() < 0) throw new SafetensorsException(path, what + " entry " + e + " is negative");
			try {
				out[i] = d.longValueExact();
			}
			catch (ArithmeticException ex) {
				throw new SafetensorsException(path, what + " entry " + e + " is not a 64-bit integer");
			}
		}
		return out;
	}

	public Path path() {
		return path;
	}

	/** Tensor names in header order. */
	public Set<String> names() {
		return tensors.keySet();
	}

	public boolean contains(String name) {
		return tensors.containsKey(name);
	}

	public Map<String, TensorInfo> tensors() {
		return tensors;
	}

	public TensorInfo info(String name) throws SafetensorsException {
		TensorInfo t = tensors.get(name);
		if (t == null) throw new SafetensorsException(path, "no tensor named '" + name + "'");
		return t;
	}

	/** The string metadata of the header ({@code __metadata__}), possibly empty. */
	public Map<String, String> metadata() {
		return metadata;
	}

	/** The raw little-endian bytes of a tensor, memory-mapped (read-only). */
	public ByteBuffer raw(String name) throws IOException {
		TensorInfo t = info(name);
		if (t.byteLength() > Integer.MAX_VALUE) throw new SafetensorsException(path,
			"tensor '" + name + "' has " + t.byteLength() + " bytes; tensors over 2 GiB are not supported");
		if (t.byteLength() == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
		return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteLength())
			.order(ByteOrder.LITTLE_ENDIAN);
	}

	/**
	 * A tensor's values as a Java {@code float[]}: floating-point dtypes widened (F64 narrowed), 8-bit floats
	 * decoded, integers and booleans converted.
	 */
	public float[] floats(String name) throws IOException {
		TensorInfo t = info(name);
		ByteBuffer b = raw(name);
		int n = Math.toIntExact(t.numel());
		float[] out = new float[n];
		switch (t.dtype()) {
			case F32 -> b.asFloatBuffer().get(out);
			case F16 -> {
				for (int i = 0; i < n; i++) out[i] = HalfFloats.f16ToFloat(b.getShort(2 * i));
			}
			case BF16 -> {
				for (int i = 0; i < n; i++) out[i] = HalfFloats.bf16ToFloat(b.getShort(2 * i));
			}
			case F8_E5M2 -> {
				for (int i = 0; i < n; i++) out[i] = HalfFloats.f8e5m2ToFloat(b.get(i));
			}
			case F8_E4M3 -> {
				for (int i = 0; i < n; i++) out[i] = HalfFloats.f8e4m3ToFloat(b.get(i));
			}
			case F64 -> {
				for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i);
			}
			case U64 -> {
				for (int i = 0; i < n; i++) out[i] = unsignedToFloat(b.getLong(8 * i));
			}
			default -> {
				long[] l = integers(t, b);
				for (int i = 0; i < n; i++) out[i] = l[i];
			}
		}
		DirectBuffers.free(b); // the values are in Java now: unmap the file pages
		return out;
	}

	private static float unsignedToFloat(long v) {
		return v >= 0 ? v : (float) ((v >>> 1) * 2.0 + (v & 1));
	}

	/** A tensor's values as {@code double[]}: exact for every dtype but I64/U64 beyond 2^53. */
	public double[] doubles(String name) throws IOException {
		TensorInfo t = info(name);
		if (t.dtype() == Dtype.F64) {
			ByteBuffer b = raw(name);
			double[] out = new double[Math.toIntExact(t.numel())];
			b.asDoubleBuffer().get(out);
			return out;
		}
		float[] f = floats(name);
		double[] out = new double[f.length];
		for (int i = 0; i < f.length; i++) out[i] = f[i];
		return out;
	}

	/** An integer tensor (I64, I32, I16, I8, U64, U32, U16, U8, BOOL) as {@code long[]}. */
	public long[] longs(String name) throws IOException {
		TensorInfo t = info(name);
		if (!t.dtype().isInteger() && t.dtype() != Dtype.BOOL) throw new SafetensorsException(path, "tensor '" + name
			+ "' has dtype " + t.dtype() + ", which is not an integer type");
		return integers(t, raw(name));
	}

	private long[] integers(TensorInfo t, ByteBuffer b) throws SafetensorsException {
		int n = Math.toIntExact(t.numel());
		long[] out = new long[n];
		for (int i = 0; i < n; i++) {
			out[i] = switch (t.dtype()) {
				case I64 -> b.getLong(8 * i);
				case I32 -> b.getInt(4 * i);
				case I16 -> b.getShort(2 * i);
				case I8 -> b.get(i);
				case U64 -> {
					long v = b.getLong(8 * i);
					if (v < 0) throw new SafetensorsException(path, "tensor '" + t.name() + "' (U64) holds " +
						Long.toUnsignedString(v) + ", which no signed 64-bit integer holds");
					yield v;
				}
				case U32 -> b.getInt(4 * i) & 0xffffffffL;
				case U16 -> b.getShort(2 * i) & 0xffff;
				case U8, BOOL -> b.get(i) & 0xff;
				default -> throw new SafetensorsException(path, "tensor '" + t.name() + "' has dtype " + t.dtype() +
					", which is not an integer type");
			};
		}
		DirectBuffers.free(b);
		return out;
	}

	/**
	 * Loads a tensor into DJL in its own dtype when DJL holds it safely, else widened in Java
	 * ({@link Dtype#widened()}: BF16/F8 as F32, I16/U16 as I32, U32/U64 as I64).
	 */
	public NDArray load(String name, NDManager manager) throws IOException {
		return load(name, manager, info(name).dtype().widened());
	}

	/**
	 * Loads a tensor into DJL as {@code target}, one of {@link Dtype#DJL_SAFE}. Conversions happen in Java on the way
	 * in, so no array of a type that aborts DJL is ever created: any numeric dtype loads as a float type; integer and
	 * boolean dtypes load as an integer type when every value fits it.
	 *
	 * <p>The array owns native memory of its own: the bytes are copied out of the file mapping (or the conversion
	 * buffer), which is then released at once. On the CPU, DJL would otherwise build the tensor on the Java buffer
	 * itself, so a model's weights would stay in read-only file pages (and in Java's direct-memory budget) for as
	 * long as they live.
	 */
	public NDArray load(String name, NDManager manager, DataType target) throws IOException {
		TensorInfo t = info(name);
		if (!Dtype.DJL_SAFE.contains(target)) throw new SafetensorsException(path, "tensor '" + name + "' cannot be " +
			"loaded as " + target + ": DJL 0.36 cannot hold " + target + " arrays safely (use one of " +
			Dtype.DJL_SAFE.stream().map(DataType::toString).sorted().toList() + ")");
		Shape shape = new Shape(t.shape());
		if (t.dtype().djlType() == target) {
			ByteBuffer b = raw(name);
			if (!b.isDirect() || t.byteLength() == 0) {
				ByteBuffer d = ByteBuffer.allocateDirect((int) t.byteLength()).order(ByteOrder.nativeOrder());
				d.put(b).flip();
				b = d;
			}
			return owned(manager, b.order(ByteOrder.nativeOrder()), shape, target);
		}
		if (target == DataType.FLOAT32 || target == DataType.FLOAT16) {
			float[] f = floats(name);
			ByteBuffer d = ByteBuffer.allocateDirect(f.length * (target == DataType.FLOAT16 ? 2 : 4))
				.order(ByteOrder.nativeOrder());
			if (target == DataType.FLOAT32) d.asFloatBuffer().put(f);
			else for (float v : f) d.putShort(HalfFloats.floatToF16(v));
			d.rewind();
			return owned(manager, d, shape, target);
		}
		if (target == DataType.FLOAT64) {
			double[] f = doubles(name);
			ByteBuffer d = ByteBuffer.allocateDirect(f.length * 8).order(ByteOrder.nativeOrder());
			d.asDoubleBuffer().put(f);
			return owned(manager, d, shape, target);
		}
		if (!t.dtype().isInteger() && t.dtype() != Dtype.BOOL) throw new SafetensorsException(path, "tensor '" + name +
			"' (" + t.dtype() + ") cannot be loaded as the integer type " + target);
		long[] v = longs(name);
		long min = switch (target) {
			case INT64 -> Long.MIN_VALUE;
			case INT32 -> Integer.MIN_VALUE;
			case INT8 -> Byte.MIN_VALUE;
			default -> 0; // UINT8, BOOLEAN
		};
		long max = switch (target) {
			case INT64 -> Long.MAX_VALUE;
			case INT32 -> Integer.MAX_VALUE;
			case INT8 -> Byte.MAX_VALUE;
			case UINT8 -> 255;
			default -> 1; // BOOLEAN
		};
		for (long x : v) if (x < min || x > max) throw new SafetensorsException(path, "tensor '" + name + "' (" +
			t.dtype() + ") holds " + x + ", which does not fit " + target);
		int size = target == DataType.INT64 ? 8 : target == DataType.INT32 ? 4 : 1;
		ByteBuffer d = ByteBuffer.allocateDirect(v.length * size).order(ByteOrder.nativeOrder());
		for (long x : v) {
			if (size == 8) d.putLong(x);
			else if (size == 4) d.putInt((int) x);
			else d.put((byte) x);
		}
		d.flip();
		return owned(manager, d, shape, target);
	}

	/** An array with its own copy of {@code direct}'s bytes; the buffer (a mapping or a direct buffer) is freed. */
	private static NDArray owned(NDManager manager, ByteBuffer direct, Shape shape, DataType dtype) {
		NDArray view = manager.create(direct, shape, dtype); // on the CPU this wraps the buffer without copying
		NDArray own = manager.getDevice().isGpu() ? view : view.duplicate(); // a GPU array is already a device copy
		if (own != view) view.close();
		DirectBuffers.free(direct);
		return own;
	}

	@Override
	public void close() throws IOException {
		channel.close();
	}

	@Override
	public String toString() {
		return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
	}
}
