package io.github.diffusej.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
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
 * <p>The header is validated completely before any tensor memory is touched: its length is bounded by the file
 * and by {@link #MAX_HEADER_BYTES}, every offset lies inside the data section, entries do not overlap, dtypes are
 * known and {@code numel x dtype size} equals each entry's byte length. Tensors are mapped one at a time, so files
 * larger than 2 GiB work as long as each tensor is under 2 GiB. BF16 never reaches DJL: it is widened to F32 in
 * Java because DJL 0.36 aborts the JVM on BF16 arrays.
 */
public final class SafetensorsFile implements AutoCloseable {

	/** The reference implementation refuses headers over 100 MB; so do we. */
	public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

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
		FileChannel ch;
		try {
			ch = FileChannel.open(path, StandardOpenOption.READ);
		}
		catch (NoSuchFileException e) {
			throw new SafetensorsException(path, "file not found");
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
			String json = new String(hdr.array(), StandardCharsets.UTF_8);
			long dataLength = size - 8 - n;
			Map<String, String> meta = new LinkedHashMap<>();
			Map<String, TensorInfo> infos = parseHeader(path, json, dataLength, meta);
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

	private static Map<String, TensorInfo> parseHeader(Path path, String json, long dataLength,
		Map<String, String> meta) throws SafetensorsException
	{
		JsonElement root;
		try {
			root = JsonParser.parseString(json);
		}
		catch (JsonParseException e) {
			throw new SafetensorsException(path, "header is not valid JSON: " + e.getMessage());
		}
		if (!root.isJsonObject()) throw new SafetensorsException(path, "header is not a JSON object");
		Map<String, TensorInfo> infos = new LinkedHashMap<>();
		for (Map.Entry<String, JsonElement> e : root.getAsJsonObject().entrySet()) {
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
			infos.put(name, parseEntry(path, name, e.getValue(), dataLength));
		}
		List<TensorInfo> byOffset = new ArrayList<>(infos.values());
		byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
		TensorInfo prev = null;
		for (TensorInfo t : byOffset) {
			if (prev != null && t.begin() < prev.end()) throw new SafetensorsException(path,
				"tensors '" + prev.name() + "' and '" + t.name() + "' overlap (bytes " + t.begin() + ".." + prev.end() + ")");
			if (t.byteLength() > 0) prev = t;
		}
		return Collections.unmodifiableMap(infos);
	}

	private static TensorInfo parseEntry(Path path, String name, JsonElement v, long dataLength)
		throws SafetensorsException
	{
		String where = "tensor '" + name + "': ";
		if (!v.isJsonObject()) throw new SafetensorsException(path, where + "entry is not an object");
		JsonObject o = v.getAsJsonObject();
		JsonElement dt = o.get("dtype");
		if (dt == null || !dt.isJsonPrimitive()) throw new SafetensorsException(path, where + "missing dtype");
		Dtype dtype = Dtype.parse(dt.getAsString());
		if (dtype == null) throw new SafetensorsException(path, where + "unknown dtype '" + dt.getAsString() + "'");
		long[] shape = longArray(path, where + "shape", o.get("shape"), -1);
		long[] offsets = longArray(path, where + "data_offsets", o.get("data_offsets"), 2);
		long numel = 1;
		try {
			for (long d : shape) numel = Math.multiplyExact(numel, d);
			long bytes = Math.multiplyExact(numel, dtype.size);
			if (offsets[0] > offsets[1]) throw new SafetensorsException(path,
				where + "data_offsets " + offsets[0] + " > " + offsets[1]);
			if (offsets[1] > dataLength) throw new SafetensorsException(path, where + "data_offsets end " +
				offsets[1] + " lies past the end of the data (" + dataLength + " bytes): file truncated?");
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

	/** A floating-point tensor widened (or narrowed, for F64) to a Java {@code float[]}. */
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
			case F64 -> {
				for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i);
			}
			case I64 -> {
				for (int i = 0; i < n; i++) out[i] = b.getLong(8 * i);
			}
			case I32 -> {
				for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i);
			}
			default -> throw new SafetensorsException(path, "tensor '" + name + "' has dtype " + t.dtype() +
				", which cannot be read as floats");
		}
		DirectBuffers.free(b); // the values are in Java now: unmap the file pages
		return out;
	}

	/** An integer tensor (I64, I32, I16, I8, U8, BOOL) as {@code long[]}. */
	public long[] longs(String name) throws IOException {
		TensorInfo t = info(name);
		ByteBuffer b = raw(name);
		int n = Math.toIntExact(t.numel());
		long[] out = new long[n];
		for (int i = 0; i < n; i++) {
			out[i] = switch (t.dtype()) {
				case I64 -> b.getLong(8 * i);
				case I32 -> b.getInt(4 * i);
				case I16 -> b.getShort(2 * i);
				case I8 -> b.get(i);
				case U8, BOOL -> b.get(i) & 0xff;
				default -> throw new SafetensorsException(path, "tensor '" + name + "' has dtype " + t.dtype() +
					", which is not an integer type");
			};
		}
		DirectBuffers.free(b);
		return out;
	}

	/**
	 * Loads a tensor into DJL in its own dtype, except BF16 (widened to F32 in Java) and F8 (refused).
	 */
	public NDArray load(String name, NDManager manager) throws IOException {
		TensorInfo t = info(name);
		DataType native_ = t.dtype().djlType();
		return load(name, manager, native_ == null ? DataType.FLOAT32 : native_);
	}

	/**
	 * Loads a tensor into DJL as {@code target}. Conversions between float types happen in Java on the way in,
	 * so no BF16 array is ever created; integer tensors may only be loaded as their own type or as float.
	 *
	 * <p>The array owns native memory of its own: the bytes are copied out of the file mapping (or the conversion
	 * buffer), which is then released at once. On the CPU, DJL would otherwise build the tensor on the Java buffer
	 * itself, so a model's weights would stay in read-only file pages (and in Java's direct-memory budget) for as
	 * long as they live.
	 */
	public NDArray load(String name, NDManager manager, DataType target) throws IOException {
		TensorInfo t = info(name);
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
		if (target == DataType.FLOAT32 || target == DataType.FLOAT16 || target == DataType.FLOAT64 && t.dtype().isFloat()) {
			float[] f = floats(name);
			int size = target == DataType.FLOAT16 ? 2 : target == DataType.FLOAT32 ? 4 : 8;
			ByteBuffer d = ByteBuffer.allocateDirect(f.length * size).order(ByteOrder.nativeOrder());
			if (target == DataType.FLOAT32) d.asFloatBuffer().put(f);
			else if (target == DataType.FLOAT16) for (float v : f) d.putShort(HalfFloats.floatToF16(v));
			else for (float v : f) d.putDouble(v);
			d.rewind();
			return owned(manager, d, shape, target);
		}
		throw new SafetensorsException(path, "tensor '" + name + "' (" + t.dtype() + ") cannot be loaded as " + target);
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
