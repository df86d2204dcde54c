package io.github.diffusej.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.export.LoraLayer;
import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.LoraWeights;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.model.loader.LoadOptions;
import io.github.diffusej.model.loader.ModelLoadException;
import io.github.diffusej.model.nn.AdaptableLayer;
import io.github.diffusej.model.nn.GradMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Child-JVM half of {@link SafetensorsFuzzTest}: deterministic mutants of the tiny model's three weight files, a
 * LoRA and an embedding, each read the way DiffuseJ reads it (every tensor into DJL; the LoRA applied and run
 * through the UNet; the embedding added and encoded; every few weight mutants a whole model load). Every mutant
 * must be refused with the project's own exception naming the file, or be a valid file by the format's rules
 * ({@link FormatOracle}, written independently of the reader) and then load. A native abort kills this JVM, and
 * the parent names the mutant from the last {@code START} line.
 *
 * <p>Output: {@code START target index op}, then {@code MUTANT target index op OUTCOME detail} with OUTCOME
 * {@code ACCEPTED}, {@code REFUSED}, {@code REFUSED_BY_BOUND} (a valid file over a size bound) or {@code FAIL};
 * finally {@code SUMMARY ...} and {@code DONE}.
 */
public final class SafetensorsFuzz {

	enum Target { UNET, VAE, TEXT_ENCODER, LORA, EMBEDDING }

	enum Op {
		HEADER_BITFLIP, HEADER_BYTE, LENGTH_DELTA, LENGTH_HUGE, TRUNCATE, APPEND, DATA_BYTES, DTYPE_RETAG, DTYPE_ANY,
		SHAPE_EDIT, OFFSET_EDIT, OFFSET_SWAP, DROP_ENTRY, DUPLICATE_NAME, LENIENT_JSON, DEEP_NESTING, BAD_METADATA,
		EMPTY_HEADER, NON_FINITE, SEMANTIC, MANY_ENTRIES
	}

	private record Mutant(Op op, String detail, byte[] bytes) {}

	private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

	private final Path work;
	private final StableDiffusionModel model;
	private final Path modelDir;
	private final Map<String, Integer> counts = new LinkedHashMap<>();
	private int failures;

	private SafetensorsFuzz(Path work, Path modelDir, StableDiffusionModel model) {
		this.work = work;
		this.modelDir = modelDir;
		this.model = model;
	}

	/** Args: model folder, LoRA file, embedding file, work folder, seed, mutants per target. */
	public static void main(String[] args) throws Exception {
		Path modelDir = Path.of(args[0]);
		Path lora = Path.of(args[1]);
		Path embedding = Path.of(args[2]);
		Path work = Path.of(args[3]);
		long seed = Long.parseLong(args[4]);
		int perTarget = Integer.parseInt(args[5]);
		Files.createDirectories(work);
		Map<Target, Path> files = new EnumMap<>(Target.class);
		files.put(Target.UNET, modelDir.resolve("unet/diffusion_pytorch_model.safetensors"));
		files.put(Target.VAE, modelDir.resolve("vae/diffusion_pytorch_model.safetensors"));
		files.put(Target.TEXT_ENCODER, modelDir.resolve("text_encoder/model.safetensors"));
		files.put(Target.LORA, lora);
		files.put(Target.EMBEDDING, embedding);
		long t0 = System.nanoTime();
		try (GradMode ng = GradMode.noGrad();
			StableDiffusionModel model = StableDiffusionModel.load(modelDir, LoadOptions.defaults(), Device.cpu(),
				DataType.FLOAT32, m -> {}))
		{
			SafetensorsFuzz f = new SafetensorsFuzz(work, modelDir, model);
			for (Target t : Target.values()) {
				byte[] clean = Files.readAllBytes(files.get(t));
				if (FormatOracle.verdict(clean) != null) throw new IllegalStateException("the clean " + t + " file is invalid: "
					+ FormatOracle.verdict(clean));
				for (int i = 0; i < perTarget; i++) {
					Random rng = new Random(seed * 1_000_003L + t.ordinal() * 100_003L + i);
					Mutant m = mutate(t, clean, rng, i);
					f.run(t, i, m);
				}
			}
			double s = (System.nanoTime() - t0) / 1e9;
			System.out.println("SUMMARY mutants=" + f.counts.values().stream().mapToInt(Integer::intValue).sum() + " "
				+ f.counts + String.format(" seconds=%.1f", s) + " peakRssMb=" + peakRssMb() + " failures=" + f.failures);
		}
		System.out.println("DONE");
		System.out.flush();
	}

	/** The process's resident-memory high-water mark (Linux), or -1 elsewhere. */
	static long peakRssMb() {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/self/status")))
				if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
		}
		catch (IOException | RuntimeException e) {
			return -1;
		}
		return -1;
	}

	private void run(Target t, int i, Mutant m) throws IOException {
		String where = t + " " + i + " " + m.op();
		System.out.println("START " + where + " " + m.detail());
		System.out.flush();
		Path p = work.resolve(t.name().toLowerCase() + "-" + i + ".safetensors");
		Files.write(p, m.bytes());
		long start = System.nanoTime();
		String verdict = FormatOracle.verdict(m.bytes());
		String outcome, detail;
		boolean[] rawAccepted = {false, false}; // {every tensor loaded, header accepted}
		try {
			String semantic = read(t, p, i, rawAccepted);
			if (verdict != null) {
				outcome = "FAIL";
				detail = "accepted a file the format forbids (" + verdict + ")";
			}
			else if (semantic != null) {
				outcome = "FAIL";
				detail = semantic;
			}
			else {
				outcome = "ACCEPTED";
				detail = "";
			}
		}
		catch (Throwable e) {
			String msg = String.valueOf(e.getMessage()).replace('\n', ' ');
			boolean own = e instanceof SafetensorsException || e instanceof ModelLoadException
				|| e.getClass() == IOException.class && ownFrame(e)
				|| e instanceof IllegalArgumentException && ownFrame(e) && msg.startsWith(p.toString());
			boolean named = msg.contains(p.toString()) || msg.contains(linkDir(t, i).toString());
			if (own && named) {
				// the reader refusing a file the format allows is a bug, except where a size bound says so; what the
				// loaders refuse in a valid file (a rank-0 LoRA, a missing tensor) is their job
				boolean rawLevel = !rawAccepted[0];
				// a U64 value above 2^63 opens but cannot load as INT64, DJL's widest integer: refused by a bound
				boolean bound = m.op() == Op.MANY_ENTRIES || rawAccepted[1] && msg.contains("which no signed 64-bit integer holds");
				if (rawLevel && verdict == null && !bound) {
					outcome = "FAIL";
					detail = "refused a valid file: " + msg;
				}
				else {
					outcome = rawLevel && verdict == null && bound ? "REFUSED_BY_BOUND" : "REFUSED";
					detail = msg.length() > 160 ? msg.substring(0, 160) + "..." : msg;
				}
			}
			else {
				outcome = "FAIL";
				detail = e.getClass().getName() + (own ? " without the file name" : "") + ": " + msg;
				if (!(e instanceof Exception)) detail = "Error " + detail;
			}
		}
		finally {
			Files.deleteIfExists(p); // a mapped file may be unlinked; its pages stay valid until unmapped
		}
		counts.merge(t + "/" + outcome, 1, Integer::sum);
		if (outcome.equals("FAIL")) failures++;
		System.out.println("MUTANT " + where + " " + outcome + " " + detail + " [" + (System.nanoTime() - start) / 1_000_000
			+ " ms]");
	}

	private static boolean ownFrame(Throwable e) {
		StackTraceElement[] st = e.getStackTrace();
		return st.length > 0 && st[0].getClassName().startsWith("io.github.diffusej.");
	}

	/**
	 * Reads the mutant as DiffuseJ would; returns null when all is well, or what went wrong although nothing
	 * threw (a non-finite value that got through).
	 */
	private String read(Target t, Path p, int i, boolean[] rawAccepted) throws IOException {
		try (NDManager m = model.manager().newSubManager()) {
			try (SafetensorsFile f = SafetensorsFile.open(p)) {
				rawAccepted[1] = true;
				for (String n : f.names()) {
					f.load(n, m).close();
					f.load(n, m, DataType.FLOAT32).close();
				}
			}
			rawAccepted[0] = true;
			switch (t) {
				case LORA -> {
					LoraFile.Contents c = LoraFile.read(p);
					for (LoraLayer l : c.layers()) {
						if (l.rank() < 1) return "a LoRA layer of rank " + l.rank() + " got through";
						if (!Float.isNaN(l.alpha()) && !Float.isFinite(l.alpha())) return "a non-finite alpha got through";
						for (float[] v : new float[][] {l.down(), l.up(), l.dora() == null ? new float[0] : l.dora()})
							for (float x : v) if (!Float.isFinite(x)) return "a non-finite LoRA weight got through";
					}
					LoraWeights.apply(model, List.of(new GenerationRequest.LoraRef(p, 0.7)));
					try {
						// each adapted layer runs once with the LoRA merged in
						for (LoraLayer l : LoraFile.resolve(c, model.adaptableLayers())) {
							AdaptableLayer layer = model.network(l.component()).layer(l.module());
							long in = layer.weight().shape().get(1);
							NDArray x = layer.weight().shape().dimension() == 4 ? m.ones(new Shape(1, in, 4, 4))
								: m.ones(new Shape(1, in));
							if (!finite(layer.forward(x))) return "layer " + l.module() + " with this LoRA gave NaN/Inf";
						}
					}
					finally {
						LoraWeights.remove(model);
					}
				}
				case EMBEDDING -> {
					Embedding e = EmbeddingFile.read(p, "<fuzz-" + i + ">");
					model.addEmbedding(e);
					try {
						NDArray ids = m.create(model.tokenizer().encode(model.expandTriggers("a " + e.token()))).reshape(1, -1);
						if (!finite(model.textEncoder().encode(ids, 0))) return "the text encoder gave NaN/Inf";
					}
					finally {
						model.removeToken(e.token());
					}
				}
				default -> {
					if (i % 8 == 0) loadModel(t, p, i);
				}
			}
		}
		return null;
	}

	private static boolean finite(NDArray a) {
		return a.isNaN().logicalOr(a.isInfinite()).none().getBoolean();
	}

	private Path linkDir(Target t, int i) {
		return work.resolve("model-" + t.name().toLowerCase() + "-" + i);
	}

	/** The whole model with this one file replaced: links to the clean files, the mutant copied in. */
	private void loadModel(Target t, Path mutant, int i) throws IOException {
		Path dir = linkDir(t, i);
		String rel = switch (t) {
			case UNET -> "unet/diffusion_pytorch_model.safetensors";
			case VAE -> "vae/diffusion_pytorch_model.safetensors";
			default -> "text_encoder/model.safetensors";
		};
		try (Stream<Path> w = Files.walk(modelDir)) {
			for (Path src : w.toList()) {
				Path dst = dir.resolve(modelDir.relativize(src).toString());
				if (Files.isDirectory(src)) Files.createDirectories(dst);
				else if (!modelDir.relativize(src).toString().replace('\\', '/').equals(rel)) Files.createSymbolicLink(dst,
					src.toAbsolutePath());
			}
		}
		Files.copy(mutant, dir.resolve(rel));
		try {
			StableDiffusionModel.load(dir, LoadOptions.defaults(), Device.cpu(), DataType.FLOAT32, msg -> {}).close();
		}
		finally {
			try (Stream<Path> w = Files.walk(dir)) {
				for (Path q : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
			}
		}
	}

	// ---------------------------------------------------------------------------------------------------------
	// mutations

	/** The header text and the data of a clean file (written by our writer: valid, padded). */
	private record Parts(JsonObject header, byte[] data) {

		static Parts of(byte[] file) {
			long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
			String text = new String(file, 8, (int) n, StandardCharsets.UTF_8);
			byte[] data = java.util.Arrays.copyOfRange(file, 8 + (int) n, file.length);
			return new Parts(JsonParser.parseString(text).getAsJsonObject(), data);
		}
	}

	/** A file from header text (padded to 8 bytes with spaces) and data. */
	static byte[] assemble(String header, byte[] data) {
		byte[] h = header.getBytes(StandardCharsets.UTF_8);
		int padded = (h.length + 7) / 8 * 8;
		ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(padded).put(h);
		for (int k = h.length; k < padded; k++) b.put((byte) ' ');
		return b.put(data).array();
	}

	private static List<String> tensorNames(JsonObject h) {
		List<String> out = new ArrayList<>();
		for (String k : h.keySet()) if (!k.equals("__metadata__")) out.add(k);
		return out;
	}

	private static final String[] DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16",
		"U8", "BOOL", "F8_E4M3", "F8_E5M2"};

	private static int size(String dtype) {
		return switch (dtype) {
			case "F64", "I64", "U64" -> 8;
			case "F32", "I32", "U32" -> 4;
			case "F16", "BF16", "I16", "U16" -> 2;
			default -> 1;
		};
	}

	static Mutant mutate(Target target, byte[] clean, Random rng, int index) {
		Op[] ops = Op.values();
		// the huge-header mutant is expensive and concerns the header parser alone: one in the whole run
		Op op = index == 7 && target == Target.UNET ? Op.MANY_ENTRIES : ops[rng.nextInt(ops.length - 1)];
		long n = ByteBuffer.wrap(clean, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
		byte[] b = clean.clone();
		Parts parts = Parts.of(clean);
		JsonObject h = parts.header();
		List<String> names = tensorNames(h);
		String pick = names.get(rng.nextInt(names.size()));
		switch (op) {
			case HEADER_BITFLIP -> {
				int flips = 1 + rng.nextInt(3);
				StringBuilder d = new StringBuilder();
				for (int k = 0; k < flips; k++) {
					int at = 8 + rng.nextInt((int) n);
					b[at] ^= (byte) (1 << rng.nextInt(8));
					d.append(at).append(' ');
				}
				return new Mutant(op, "bytes " + d.toString().trim(), b);
			}
			case HEADER_BYTE -> {
				byte[] special = {'\'', '/', ',', '{', '}', '[', ']', '"', '\\', 0, 9, 0x7f, (byte) 0xff, (byte) 0xc3,
					(byte) 0xa0, '-', '.', 'e', '0'};
				int at = 8 + rng.nextInt((int) n);
				b[at] = special[rng.nextInt(special.length)];
				return new Mutant(op, "byte " + at + " = " + (b[at] & 0xff), b);
			}
			case LENGTH_DELTA -> {
				int d = rng.nextInt(33) - 16;
				if (d == 0) d = 8;
				ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(n + d);
				return new Mutant(op, "header length " + (n + d), b);
			}
			case LENGTH_HUGE -> {
				long[] huge = {-1, 1L << 40, 1L << 31, b.length, b.length - 7, 100_000_001L, 0, 1};
				long v = huge[rng.nextInt(huge.length)];
				ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
				return new Mutant(op, "header length " + Long.toUnsignedString(v), b);
			}
			case TRUNCATE -> {
				int len = rng.nextInt(clean.length);
				return new Mutant(op, "cut to " + len + " bytes", java.util.Arrays.copyOf(clean, len));
			}
			case APPEND -> {
				byte[] junk = new byte[1 + rng.nextInt(64)];
				rng.nextBytes(junk);
				byte[] out = java.util.Arrays.copyOf(clean, clean.length + junk.length);
				System.arraycopy(junk, 0, out, clean.length, junk.length);
				return new Mutant(op, junk.length + " bytes appended", out);
			}
			case DATA_BYTES -> {
				int k = 1 + rng.nextInt(16);
				for (int j = 0; j < k && clean.length > 8 + n; j++)
					b[(int) (8 + n + rng.nextInt((int) (clean.length - 8 - n)))] = (byte) rng.nextInt(256);
				return new Mutant(op, k + " data bytes", b);
			}
			case NON_FINITE -> {
				JsonObject e = h.getAsJsonObject(pick);
				long begin = e.getAsJsonArray("data_offsets").get(0).getAsLong();
				long end = e.getAsJsonArray("data_offsets").get(1).getAsLong();
				if (end - begin >= 4) {
					int at = (int) (8 + n + begin + 4 * rng.nextInt((int) ((end - begin) / 4)));
					float v = rng.nextBoolean() ? Float.NaN : rng.nextBoolean() ? Float.POSITIVE_INFINITY
						: Float.NEGATIVE_INFINITY;
					ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
					return new Mutant(op, pick + " gets " + v, b);
				}
				return new Mutant(op, pick + " too small", b);
			}
			case DTYPE_RETAG -> {
				// another dtype, the shape changed so that the byte length stays: a valid file of any dtype
				JsonObject e = h.getAsJsonObject(pick);
				String to = DTYPES[rng.nextInt(DTYPES.length)];
				long bytes = e.getAsJsonArray("data_offsets").get(1).getAsLong()
					- e.getAsJsonArray("data_offsets").get(0).getAsLong();
				JsonArray shape = new JsonArray();
				if (bytes % size(to) == 0) {
					shape.add(bytes / size(to));
					e.addProperty("dtype", to);
					e.add("shape", shape);
				}
				return new Mutant(op, pick + " as " + to + " " + shape, assemble(GSON.toJson(h), parts.data()));
			}
			case DTYPE_ANY -> {
				String[] any = {"Q4", "", "f32", "C64", "F4", "F8_E8M0", "INT16", "float32", "BF16", "I16", "U64", "BOOL"};
				String to = any[rng.nextInt(any.length)];
				h.getAsJsonObject(pick).addProperty("dtype", to);
				return new Mutant(op, pick + " dtype " + to, assemble(GSON.toJson(h), parts.data()));
			}
			case SHAPE_EDIT -> {
				String[] dims = {"0", "1", "2", "4294967296", "-1", "1.5", "\"x\"", "1e3", "18446744073709551616",
					"9223372036854775807", "null", "[2]"};
				String text = GSON.toJson(h);
				JsonArray shape = h.getAsJsonObject(pick).getAsJsonArray("shape");
				String old = "\"" + pick + "\":{\"dtype\":\"" + h.getAsJsonObject(pick).get("dtype").getAsString()
					+ "\",\"shape\":" + shape;
				String dim = dims[rng.nextInt(dims.length)];
				String repl = shape.isEmpty() ? "[" + dim + "]" : shape.toString().replaceFirst("\\d+", dim);
				text = text.replace(old, old.substring(0, old.length() - shape.toString().length()) + repl);
				return new Mutant(op, pick + " shape " + repl, assemble(text, parts.data()));
			}
			case OFFSET_EDIT -> {
				JsonArray off = h.getAsJsonObject(pick).getAsJsonArray("data_offsets");
				int which = rng.nextInt(2);
				long d = rng.nextInt(4) == 0 ? (1L << 40) : rng.nextInt(33) - 16;
				off.set(which, new com.google.gson.JsonPrimitive(Math.max(0, off.get(which).getAsLong() + d)));
				return new Mutant(op, pick + " offsets " + off, assemble(GSON.toJson(h), parts.data()));
			}
			case OFFSET_SWAP -> {
				String other = names.get(rng.nextInt(names.size()));
				JsonArray a = h.getAsJsonObject(pick).getAsJsonArray("data_offsets");
				JsonArray c = h.getAsJsonObject(other).getAsJsonArray("data_offsets");
				h.getAsJsonObject(pick).add("data_offsets", c.deepCopy());
				h.getAsJsonObject(other).add("data_offsets", a.deepCopy());
				return new Mutant(op, pick + " <-> " + other, assemble(GSON.toJson(h), parts.data()));
			}
			case DROP_ENTRY -> {
				h.remove(pick);
				return new Mutant(op, "without " + pick, assemble(GSON.toJson(h), parts.data()));
			}
			case DUPLICATE_NAME -> {
				String text = GSON.toJson(h);
				String entry = "\"" + pick + "\":" + GSON.toJson(h.get(pick));
				text = "{" + entry + "," + text.substring(1);
				return new Mutant(op, pick + " twice", assemble(text, parts.data()));
			}
			case LENIENT_JSON -> {
				String text = GSON.toJson(h);
				String quoted = "\"" + pick + "\"";
				String[] kinds = {"single", "comment", "comma", "bom", "nan", "tab", "unquoted", "zero", "block"};
				String k = kinds[rng.nextInt(kinds.length)];
				text = switch (k) {
					case "single" -> text.replace(quoted, "'" + pick + "'");
					case "comment" -> text + "//x";
					case "comma" -> text.substring(0, text.length() - 1) + ",}";
					case "bom" -> "\uFEFF" + text;
					case "nan" -> text.replaceFirst("\"shape\":\\[", "\"shape\":[NaN,");
					case "tab" -> text.replace(quoted, "\"" + pick + "\t\"");
					case "unquoted" -> text.replaceFirst("\"dtype\"", "dtype");
					case "zero" -> text.replaceFirst("\"data_offsets\":\\[0,", "\"data_offsets\":[00,");
					default -> "{/*c*/" + text.substring(1);
				};
				return new Mutant(op, k, assemble(text, parts.data()));
			}
			case DEEP_NESTING -> {
				int depth = 9 + rng.nextInt(50_000);
				String text = GSON.toJson(h).replaceFirst("\"shape\":\\[", "\"shape\":[" + "[".repeat(depth)
					+ "]".repeat(depth) + ",");
				return new Mutant(op, "depth " + depth, assemble(text, parts.data()));
			}
			case BAD_METADATA -> {
				String[] values = {"1", "{\"a\":\"b\"}", "[\"x\"]", "null", "true", "\"ok\""};
				String v = values[rng.nextInt(values.length)];
				h.remove("__metadata__");
				String text = "{\"__metadata__\":{\"k\":" + v + "}," + GSON.toJson(h).substring(1);
				return new Mutant(op, "metadata k = " + v, assemble(text, parts.data()));
			}
			case EMPTY_HEADER -> {
				return new Mutant(op, "{} and the data", assemble("{}", parts.data()));
			}
			case SEMANTIC -> {
				return semantic(target, h, parts.data(), names, pick, rng);
			}
			case MANY_ENTRIES -> {
				StringBuilder sb = new StringBuilder(GSON.toJson(h));
				sb.setLength(sb.length() - 1);
				for (int k = 0; k < SafetensorsFile.MAX_TENSORS + 10; k++)
					sb.append(",\"z").append(k).append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
				return new Mutant(op, (SafetensorsFile.MAX_TENSORS + 10) + " extra empty tensors",
					assemble(sb.append('}').toString(), parts.data()));
			}
		}
		throw new IllegalStateException(op.toString());
	}

	/**
	 * Valid files that say something odd: a LoRA of rank 0 or with an alpha vector, an embedding of rank 3, a
	 * tensor renamed, a tensor reshaped (same bytes).
	 */
	private static Mutant semantic(Target target, JsonObject h, byte[] data, List<String> names, String pick, Random rng) {
		int kind = rng.nextInt(4);
		JsonObject e = h.getAsJsonObject(pick);
		JsonArray shape = e.getAsJsonArray("shape");
		String detail;
		switch (kind) {
			case 0 -> {
				// the same bytes in another shape: [a, b] -> [b, a], [n] -> [1, n], [] -> [1, 1]
				JsonArray s = new JsonArray();
				if (shape.size() >= 2) {
					s.add(shape.get(1));
					s.add(shape.get(0));
					for (int k = 2; k < shape.size(); k++) s.add(shape.get(k));
				}
				else {
					s.add(1);
					s.add(shape.isEmpty() ? 1 : shape.get(0).getAsLong());
					if (rng.nextBoolean()) s.add(1);
				}
				e.add("shape", s);
				detail = pick + " reshaped to " + s;
			}
			case 1 -> {
				JsonObject moved = h.remove(pick).getAsJsonObject();
				h.add(pick + ".renamed", moved);
				detail = pick + " renamed";
			}
			case 2 -> {
				// a tensor the reader looks for replaced by an empty one (rank-0 LoRA, empty alpha, empty embedding)
				String name = target == Target.LORA ? pick.replaceAll("\\.(lora_down\\.weight|lora_up\\.weight)$",
					".alpha") : pick;
				h.remove(name);
				JsonObject z = new JsonObject();
				z.addProperty("dtype", "F32");
				JsonArray zs = new JsonArray();
				zs.add(rng.nextBoolean() ? 0 : 1);
				if (zs.get(0).getAsInt() == 1) zs.add(0);
				z.add("shape", zs);
				JsonArray off = new JsonArray();
				off.add(0);
				off.add(0);
				z.add("data_offsets", off);
				h.add(name, z);
				return new Mutant(Op.SEMANTIC, name + " empty " + zs, relayout(h, data));
			}
			default -> {
				e.addProperty("dtype", "F16");
				JsonArray s = new JsonArray();
				long bytes = e.getAsJsonArray("data_offsets").get(1).getAsLong() - e.getAsJsonArray("data_offsets").get(0)
					.getAsLong();
				s.add(bytes / 2);
				e.add("shape", s);
				detail = pick + " as F16 " + s;
			}
		}
		return new Mutant(Op.SEMANTIC, detail, assemble(GSON.toJson(h), data));
	}

	/** The header's tensors packed again (bytes of removed entries left out), so the file stays valid. */
	private static byte[] relayout(JsonObject h, byte[] data) {
		List<Map.Entry<String, JsonElement>> entries = new ArrayList<>();
		for (Map.Entry<String, JsonElement> e : h.entrySet()) if (!e.getKey().equals("__metadata__")) entries.add(e);
		entries.sort((a, b) -> Long.compare(a.getValue().getAsJsonObject().getAsJsonArray("data_offsets").get(0).getAsLong(),
			b.getValue().getAsJsonObject().getAsJsonArray("data_offsets").get(0).getAsLong()));
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		long pos = 0;
		for (Map.Entry<String, JsonElement> e : entries) {
			JsonArray off = e.getValue().getAsJsonObject().getAsJsonArray("data_offsets");
			long b = off.get(0).getAsLong(), end = off.get(1).getAsLong();
			if (end > b) out.write(data, (int) b, (int) (end - b));
			off.set(0, new com.google.gson.JsonPrimitive(pos));
			pos += end - b;
			off.set(1, new com.google.gson.JsonPrimitive(pos));
		}
		return assemble(GSON.toJson(h), out.toByteArray());
	}
}
