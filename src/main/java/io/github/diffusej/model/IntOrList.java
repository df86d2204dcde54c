package io.github.diffusej.model;

import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.annotations.JsonAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A config value that diffusers accepts either as one int (same for every block) or as a list (one per block),
 * e.g. {@code attention_head_dim}, {@code layers_per_block}, {@code transformer_layers_per_block}.
 */
@JsonAdapter(IntOrList.Adapter.class)
public record IntOrList(int[] values, boolean scalar) {

	public static IntOrList of(int v) {
		return new IntOrList(new int[] {v}, true);
	}

	/** One value per block; fails when a list has the wrong length. */
	public int[] perBlock(int blocks, String field) {
		if (scalar) {
			int[] out = new int[blocks];
			Arrays.fill(out, values[0]);
			return out;
		}
		if (values.length != blocks) throw new IllegalArgumentException(field + " has " + values.length
			+ " entries but there are " + blocks + " blocks");
		return values.clone();
	}

	static final class Adapter extends TypeAdapter<IntOrList> {

		@Override
		public void write(JsonWriter out, IntOrList v) throws IOException {
			if (v == null) {
				out.nullValue();
				return;
			}
			if (v.scalar) {
				out.value(v.values[0]);
				return;
			}
			out.beginArray();
			for (int x : v.values) out.value(x);
			out.endArray();
		}

		@Override
		public IntOrList read(JsonReader in) throws IOException {
			JsonToken t = in.peek();
			if (t == JsonToken.NULL) {
				in.nextNull();
				return null;
			}
			if (t == JsonToken.NUMBER) return of(in.nextInt());
			if (t != JsonToken.BEGIN_ARRAY) throw new JsonParseException("expected an int or a list of ints at "
				+ in.getPath());
			List<Integer> l = new ArrayList<>();
			in.beginArray();
			while (in.hasNext()) {
				if (in.peek() != JsonToken.NUMBER) throw new JsonParseException(
					"nested lists are not supported at " + in.getPath() + " (SDXL-refiner style per-layer lists)");
				l.add(in.nextInt());
			}
			in.endArray();
			return new IntOrList(l.stream().mapToInt(Integer::intValue).toArray(), false);
		}
	}
}
