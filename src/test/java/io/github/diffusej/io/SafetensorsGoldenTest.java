package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads every safetensors file under ../shared/golden and checks it against its own header, parsed independently. */
class SafetensorsGoldenTest {

	@TempDir
	Path tmp;

	static List<Path> goldenFiles() throws IOException {
		try (Stream<Path> s = Files.walk(Golden.dir())) {
			return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
		}
	}

	/** An independent, minimal header parse (Gson only) to compare with. */
	static JsonObject rawHeader(Path p) throws IOException {
		byte[] all = Files.readAllBytes(p);
		long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
		return JsonParser.parseString(new String(all, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
	}

	@Test
	void everyGoldenFileMatchesItsHeader() throws IOException {
		List<Path> files = goldenFiles();
		assertTrue(files.size() >= 20, "expected the golden safetensors files, found " + files.size());
		for (Path p : files) {
			JsonObject h = rawHeader(p);
			try (SafetensorsFile f = SafetensorsFile.open(p)) {
				int tensorsInHeader = h.has("__metadata__") ? h.size() - 1 : h.size();
				assertEquals(tensorsInHeader, f.names().size(), p.toString());
				for (Map.Entry<String, JsonElement> e : h.entrySet()) {
					if (e.getKey().equals("__metadata__")) {
						for (var m : e.getValue().getAsJsonObject().entrySet())
							assertEquals(m.getValue().getAsString(), f.metadata().get(m.getKey()), p + " metadata " + m.getKey());
						continue;
					}
					JsonObject o = e.getValue().getAsJsonObject();
					TensorInfo t = f.info(e.getKey());
					assertEquals(o.get("dtype").getAsString(), t.dtype().name(), p + " " + t);
					var shape = o.getAsJsonArray("shape");
					assertEquals(shape.size(), t.shape().length, p + " " + t);
					for (int i = 0; i < shape.size(); i++) assertEquals(shape.get(i).getAsLong(), t.shape()[i]);
				}
			}
		}
	}

	@Test
	void roundTripIsBitExact() throws IOException {
		for (Path p : goldenFiles()) {
			Path out = tmp.resolve(p.getFileName());
			try (SafetensorsFile f = SafetensorsFile.open(p)) {
				SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
				for (String n : f.names()) w.put(n, f.info(n).dtype(), f.info(n).shape(), f.raw(n));
				w.write(out);
				// The golden files were written in the standard layout, so the whole file is reproduced.
				assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(out), "byte-identical rewrite of " + p);
				try (SafetensorsFile g = SafetensorsFile.open(out)) {
					assertEquals(f.names(), g.names());
					for (String n : f.names()) assertEquals(f.raw(n), g.raw(n), n);
				}
			}
		}
	}

	@Test
	void loadsIntoDjl() throws IOException {
		try (SafetensorsFile f = SafetensorsFile.open(Golden.vectors("unet.safetensors"));
			NDManager m = NDManager.newBaseManager())
		{
			NDArray sample = f.load("sample", m);
			assertArrayEquals(new long[] {2, 4, 16, 16}, sample.getShape().getShape());
			assertArrayEquals(f.floats("sample"), sample.toFloatArray());
			NDArray t = f.load("timesteps", m);
			assertArrayEquals(new long[] {999, 10}, t.toLongArray());
			assertFalse(f.metadata().containsKey("nope"));
		}
	}
}
