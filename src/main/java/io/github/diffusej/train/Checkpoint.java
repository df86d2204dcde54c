package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.github.diffusej.Rng;
import io.github.diffusej.io.AtomicFiles;
import io.github.diffusej.io.SafetensorsException;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The resumable state of a run at an optimizer-step boundary: everything that decides what later steps do, so
 * that a resumed run continues bit for bit where the checkpoint left it. {@code state.json} holds the scalars
 * (step, data position, the random streams, optimizer scalars, loss scale, EMA count, best validation loss);
 * {@code trainables.safetensors}, {@code optimizer.safetensors} and {@code ema.safetensors} the float32 tensors,
 * keyed by the trainables' registry names.
 */
public final class Checkpoint {

	static final String STATE = "state.json";
	static final String TRAINABLES = "trainables.safetensors";
	static final String OPTIMIZER = "optimizer.safetensors";
	static final String EMA = "ema.safetensors";
	static final int FORMAT_VERSION = 1;

	private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

	/**
	 * The scalars of a checkpoint.
	 *
	 * @param step optimizer steps done
	 * @param microBatches micro-batches consumed so far (the data position)
	 * @param rngs the state of each random stream by name
	 * @param optimizer the optimizer's scalar state
	 * @param emaUpdates EMA updates so far (0: no EMA)
	 * @param lossScale float16 loss scale (0 for float32)
	 * @param scalerGoodSteps good steps since the loss scale last changed
	 * @param bestValidationLoss lowest validation loss so far (NaN: none yet)
	 * @param bestStep its step (-1: none)
	 * @param smoothedLoss the smoothed training loss shown in reports
	 */
	public record State(int formatVersion, String method, int step, long microBatches, Map<String, Rng.State> rngs,
		JsonObject optimizer, int emaUpdates, double lossScale, int scalerGoodSteps, double bestValidationLoss,
		int bestStep, double smoothedLoss) {}

	/** A checkpoint read back: scalars and float32 tensors (plain arrays; the caller makes them NDArrays). */
	public record Loaded(Path folder, State state, Map<String, float[]> trainables, Map<String, long[]> shapes,
		Map<String, float[]> optimizer, Map<String, long[]> optimizerShapes, Map<String, float[]> ema) {}

	private Checkpoint() {}

	/** The bytes the tensors will take, to check the free space before writing. */
	static long tensorBytes(Map<String, NDArray> trainables, Map<String, NDArray> optimizer, Map<String, NDArray> ema) {
		long n = 0;
		for (Map<String, NDArray> m : java.util.List.of(trainables, optimizer, ema))
			for (NDArray a : m.values()) n += a.size() * 4;
		return n;
	}

	/** Writes the state into {@code folder} (an empty folder that {@link RunFolder#writeFolder} renames). */
	static void write(Path folder, State state, Map<String, NDArray> trainables, Map<String, NDArray> optimizer,
		Map<String, NDArray> ema) throws IOException
	{
		writeTensors(folder.resolve(TRAINABLES), trainables);
		writeTensors(folder.resolve(OPTIMIZER), optimizer);
		if (!ema.isEmpty()) writeTensors(folder.resolve(EMA), ema);
		AtomicFiles.writeString(folder.resolve(STATE), GSON.toJson(state) + "\n");
	}

	private static void writeTensors(Path file, Map<String, NDArray> tensors) throws IOException {
		SafetensorsWriter w = new SafetensorsWriter().metadata("format", "diffusej-checkpoint");
		try (NDManager scratch = NDManager.newBaseManager()) {
			for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
				NDArray a = e.getValue();
				float[] v;
				if (a.getDataType() == DataType.FLOAT32) v = a.toFloatArray();
				else {
					NDArray f = a.toType(DataType.FLOAT32, true);
					f.attach(scratch);
					v = f.toFloatArray();
				}
				w.putFloats(e.getKey(), a.getShape().getShape(), v);
			}
		}
		w.write(file);
	}

	/** Reads a checkpoint folder; errors name the file and the problem. */
	public static Loaded read(Path folder) throws IOException {
		Path stateFile = folder.resolve(STATE);
		State state;
		try {
			state = GSON.fromJson(Files.readString(stateFile, StandardCharsets.UTF_8), State.class);
		}
		catch (JsonParseException | java.nio.charset.MalformedInputException e) {
			throw new TrainingException(stateFile + ": not a valid checkpoint state: " + e.getMessage());
		}
		if (state == null || state.rngs() == null || state.optimizer() == null)
			throw new TrainingException(stateFile + ": incomplete checkpoint state");
		if (state.formatVersion() > FORMAT_VERSION) throw new TrainingException(stateFile + ": format_version "
			+ state.formatVersion() + " is newer than this DiffuseJ reads (" + FORMAT_VERSION + ")");
		Map<String, long[]> shapes = new LinkedHashMap<>();
		Map<String, float[]> t = readTensors(folder.resolve(TRAINABLES), shapes);
		Map<String, long[]> optShapes = new LinkedHashMap<>();
		Map<String, float[]> o = readTensors(folder.resolve(OPTIMIZER), optShapes);
		Map<String, float[]> ema = Files.exists(folder.resolve(EMA)) ? readTensors(folder.resolve(EMA), new LinkedHashMap<>())
			: Map.of();
		return new Loaded(folder, state, t, shapes, o, optShapes, ema);
	}

	private static Map<String, float[]> readTensors(Path file, Map<String, long[]> shapes) throws IOException {
		Map<String, float[]> out = new LinkedHashMap<>();
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			for (String n : f.names()) {
				float[] v = f.floats(n);
				for (float x : v)
					if (!Float.isFinite(x)) throw new SafetensorsException(file, "tensor '" + n + "' holds NaN or infinite values");
				out.put(n, v);
				shapes.put(n, f.info(n).shape());
			}
		}
		return out;
	}

	/** Rebuilds NDArrays (float32, in {@code manager}) from read tensors. */
	static Map<String, NDArray> arrays(Map<String, float[]> values, Map<String, long[]> shapes, NDManager manager) {
		Map<String, NDArray> out = new LinkedHashMap<>();
		values.forEach((k, v) -> out.put(k, manager.create(v, new ai.djl.ndarray.types.Shape(shapes.get(k)))));
		return out;
	}
}
