package io.github.diffusej.io;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects tensors and string metadata, then writes a {@code .safetensors} file atomically.
 *
 * <p>Layout as the reference writer makes it: {@code __metadata__} first, tensors ordered by dtype size
 * (largest first) then name, data contiguous, header padded with spaces to a multiple of 8 bytes.
 */
public final class SafetensorsWriter {

	private record Entry(String name, Dtype dtype, long[] shape, ByteBuffer data) {}

	private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

	private final Map<String, Entry> entries = new LinkedHashMap<>();
	private final Map<String, String> metadata = new LinkedHashMap<>();

	public SafetensorsWriter metadata(String key, String value) {
		metadata.put(key, value);
		return this;
	}

	public SafetensorsWriter metadata(Map<String, String> all) {
		metadata.putAll(all);
		return this;
	}

	/** Adds raw little-endian bytes; their length must equal numel x dtype size. */
	public SafetensorsWriter put(String name, Dtype dtype, long[] shape, ByteBuffer littleEndianData) {
		if (name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved");
		long numel = 1;
		for (long d : shape) {
			if (d < 0) throw new IllegalArgumentException(name + ": negative dimension");
			numel = Math.multiplyExact(numel, d);
		}
		ByteBuffer data = littleEndianData.duplicate();
		if (data.remaining() != numel * dtype.size) throw new IllegalArgumentException(name + ": " +
			data.remaining() + " bytes given, shape x " + dtype + " needs " + numel * dtype.size);
		entries.put(name, new Entry(name, dtype, shape.clone(), data));
		return this;
	}

	public SafetensorsWriter putFloats(String name, long[] shape, float[] values) {
		ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(values);
		return put(name, Dtype.F32, shape, b);
	}

	/** Stores F32 values as F16 (round to nearest even), e.g. for half-size exports. */
	public SafetensorsWriter putFloatsAsF16(String name, long[] shape, float[] values) {
		ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
		for (int i = 0; i < values.length; i++) b.putShort(2 * i, HalfFloats.floatToF16(values[i]));
		return put(name, Dtype.F16, shape, b);
	}

	public SafetensorsWriter putLongs(String name, long[] shape, long[] values) {
		ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
		b.asLongBuffer().put(values);
		return put(name, Dtype.I64, shape, b);
	}

	/** Copies an NDArray (any device) in its own dtype. */
	public SafetensorsWriter put(String name, NDArray array) {
		ByteBuffer b = array.toByteBuffer(); // native order; safetensors is little endian
		ByteBuffer le = ByteBuffer.allocate(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
		if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) le.put(b).flip();
		else throw new UnsupportedOperationException("big-endian hosts are not supported");
		return put(name, Dtype.of(array.getDataType()), array.getShape().getShape(), le);
	}

	public int size() {
		return entries.size();
	}

	/** Writes the file atomically (temporary sibling + rename). */
	public void write(Path file) throws IOException {
		List<Entry> sorted = new ArrayList<>(entries.values());
		sorted.sort(Comparator.comparingInt((Entry e) -> -e.dtype.size).thenComparing(Entry::name));
		JsonObject header = new JsonObject();
		if (!metadata.isEmpty()) {
			JsonObject m = new JsonObject();
			metadata.forEach(m::addProperty);
			header.add("__metadata__", m);
		}
		long offset = 0;
		for (Entry e : sorted) {
			JsonObject o = new JsonObject();
			o.addProperty("dtype", e.dtype.name());
			JsonArray shape = new JsonArray();
			for (long d : e.shape) shape.add(d);
			o.add("shape", shape);
			JsonArray offs = new JsonArray();
			offs.add(offset);
			offset += e.data.remaining();
			offs.add(offset);
			o.add("data_offsets", offs);
			header.add(e.name, o);
		}
		byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
		int padded = (json.length + 7) / 8 * 8;
		ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
		head.putLong(padded).put(json);
		while (head.hasRemaining()) head.put((byte) ' ');
		head.flip();
		AtomicFiles.write(file, ch -> {
			while (head.hasRemaining()) ch.write(head);
			for (Entry e : sorted) {
				ByteBuffer d = e.data.duplicate();
				while (d.hasRemaining()) ch.write(d);
			}
		});
	}
}
