package io.github.diffusej.schedule;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.diffusej.io.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A diffusers {@code scheduler_config.json}, read with Gson.
 *
 * <p>The file of a model folder names one scheduler class but is routinely used to build another one
 * ({@code DDIMScheduler.from_config(pipe.scheduler.config)}). Keys missing from the file then take the defaults of
 * the class being built, and those differ between classes (diffusers v0.25.1: {@code timestep_spacing} is
 * {@code leading} for DDPM/DDIM/PNDM but {@code linspace} for Euler/DPM-Solver; {@code clip_sample} and
 * {@code set_alpha_to_one} default to {@code true} for DDIM). So a parsed config keeps absent keys as {@code null}
 * and {@link #withDefaultsOf(Family)} fills them for one class; every scheduler calls it in its constructor.
 *
 * <p>Enumerated values are checked while parsing; an unknown value fails with a message naming the file, the key
 * and the accepted values. Keys this port does not know are kept in {@link #unknownKeys()} (real configs carry
 * keys of other classes, so they are reported, not fatal). Keys starting with {@code _} are metadata.
 *
 * @param source file the config was read from ({@code null} when built in code); named in every error
 */
public record SchedulerConfig(
	Path source,
	String className,
	Integer numTrainTimesteps,
	Double betaStart,
	Double betaEnd,
	String betaSchedule,
	float[] trainedBetas,
	String predictionType,
	String timestepSpacing,
	Integer stepsOffset,
	Boolean setAlphaToOne,
	Boolean clipSample,
	Double clipSampleRange,
	Boolean skipPrkSteps,
	Boolean thresholding,
	Boolean rescaleBetasZeroSnr,
	Boolean useKarrasSigmas,
	Double sigmaMin,
	Double sigmaMax,
	String interpolationType,
	String timestepType,
	Integer solverOrder,
	String algorithmType,
	String solverType,
	Boolean lowerOrderFinal,
	Boolean eulerAtFinal,
	Boolean useLuLambdas,
	Double lambdaMinClipped,
	String varianceType,
	List<String> unknownKeys) {

	/** The diffusers scheduler classes whose defaults this port knows. */
	public enum Family {
		DDPM, DDIM, PNDM, EULER, EULER_ANCESTRAL, DPM_MULTISTEP
	}

	static final Set<String> BETA_SCHEDULES = Set.of("linear", "scaled_linear", "squaredcos_cap_v2");
	static final Set<String> PREDICTION_TYPES = Set.of("epsilon", "v_prediction", "sample");
	static final Set<String> SPACINGS = Set.of("leading", "linspace", "trailing");
	static final Set<String> INTERPOLATIONS = Set.of("linear", "log_linear");
	static final Set<String> TIMESTEP_TYPES = Set.of("discrete", "continuous");
	static final Set<String> ALGORITHMS = Set.of("dpmsolver++", "dpmsolver", "sde-dpmsolver++", "sde-dpmsolver", "deis");
	static final Set<String> SOLVER_TYPES = Set.of("midpoint", "heun", "logrho", "bh1", "bh2");
	static final Set<String> VARIANCE_TYPES = Set.of("fixed_small", "fixed_small_log", "fixed_large", "fixed_large_log",
		"learned", "learned_range");

	public SchedulerConfig {
		unknownKeys = unknownKeys == null ? List.of() : List.copyOf(unknownKeys);
		String w = source == null ? "scheduler config" : source.toString();
		if (numTrainTimesteps != null && (numTrainTimesteps < 2 || numTrainTimesteps > MAX_TRAIN_TIMESTEPS))
			throw new IllegalArgumentException(w + ": num_train_timesteps must be in 2.." + MAX_TRAIN_TIMESTEPS + ", found "
				+ numTrainTimesteps);
		checkBeta(w, "beta_start", betaStart);
		checkBeta(w, "beta_end", betaEnd);
		if (betaStart != null && betaEnd != null && !(betaStart < betaEnd)) throw new IllegalArgumentException(w
			+ ": beta_start (" + betaStart + ") must be below beta_end (" + betaEnd + ")");
		if (trainedBetas != null) {
			for (int i = 0; i < trainedBetas.length; i++) {
				float b = trainedBetas[i];
				if (!(b > 0 && b <= 1)) throw new IllegalArgumentException(w + ": trained_betas[" + i + "] must be in "
					+ "(0, 1], found " + b);
			}
		}
		int limit = numTrainTimesteps != null ? numTrainTimesteps : MAX_TRAIN_TIMESTEPS;
		if (stepsOffset != null && (stepsOffset < 0 || stepsOffset >= limit)) throw new IllegalArgumentException(w
			+ ": steps_offset must be in 0.." + (limit - 1) + ", found " + stepsOffset);
		checkPositive(w, "clip_sample_range", clipSampleRange);
		checkPositive(w, "sigma_min", sigmaMin);
		checkPositive(w, "sigma_max", sigmaMax);
		if (sigmaMin != null && sigmaMax != null && !(sigmaMin < sigmaMax)) throw new IllegalArgumentException(w
			+ ": sigma_min (" + sigmaMin + ") must be below sigma_max (" + sigmaMax + ")");
		if (solverOrder != null && (solverOrder < 1 || solverOrder > 3)) throw new IllegalArgumentException(w
			+ ": solver_order must be 1, 2 or 3, found " + solverOrder);
		if (lambdaMinClipped != null && Double.isNaN(lambdaMinClipped)) throw new IllegalArgumentException(w
			+ ": lambda_min_clipped is NaN");
	}

	/** The longest train schedule accepted (SD uses 1000); its tables are allocated from this number. */
	public static final int MAX_TRAIN_TIMESTEPS = 100_000;

	private static void checkBeta(String where, String key, Double b) {
		if (b != null && !(b > 0 && b < 1)) throw new IllegalArgumentException(where + ": " + key + " must be in (0, 1), "
			+ "found " + b);
	}

	private static void checkPositive(String where, String key, Double v) {
		if (v != null && !(v > 0 && Double.isFinite(v))) throw new IllegalArgumentException(where + ": " + key
			+ " must be a finite number > 0, found " + v);
	}

	/** Reads and validates {@code scheduler_config.json}. */
	public static SchedulerConfig read(Path file) throws IOException {
		String text = Files.readString(file, StandardCharsets.UTF_8);
		JsonElement root;
		try {
			root = StrictJson.parse(text, StrictJson.Dialect.PYTHON);
		} catch (StrictJson.JsonError e) {
			throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
		}
		if (!root.isJsonObject()) throw new IllegalArgumentException(file + ": expected a JSON object at the top level");
		return parse(root.getAsJsonObject(), file);
	}

	/** Parses an already loaded JSON object; {@code source} is only used in messages (may be null). */
	public static SchedulerConfig parse(JsonObject o, Path source) {
		Reader r = new Reader(o, source);
		List<String> unknown = new ArrayList<>();
		for (String k : o.keySet())
			if (!k.startsWith("_") && !KNOWN_KEYS.contains(k)) unknown.add(k);
		return new SchedulerConfig(source,
			r.str("_class_name", null),
			r.integer("num_train_timesteps"),
			r.dbl("beta_start"),
			r.dbl("beta_end"),
			r.str("beta_schedule", BETA_SCHEDULES),
			r.floats("trained_betas"),
			r.str("prediction_type", PREDICTION_TYPES),
			r.str("timestep_spacing", SPACINGS),
			r.integer("steps_offset"),
			r.bool("set_alpha_to_one"),
			r.bool("clip_sample"),
			r.dbl("clip_sample_range"),
			r.bool("skip_prk_steps"),
			r.bool("thresholding"),
			r.bool("rescale_betas_zero_snr"),
			r.bool("use_karras_sigmas"),
			r.dbl("sigma_min"),
			r.dbl("sigma_max"),
			r.str("interpolation_type", INTERPOLATIONS),
			r.str("timestep_type", TIMESTEP_TYPES),
			r.integer("solver_order"),
			r.str("algorithm_type", ALGORITHMS),
			r.str("solver_type", SOLVER_TYPES),
			r.bool("lower_order_final"),
			r.bool("euler_at_final"),
			r.bool("use_lu_lambdas"),
			r.dbl("lambda_min_clipped"),
			r.str("variance_type", VARIANCE_TYPES),
			unknown);
	}

	/** An empty config: every key takes the defaults of the class it is used for. */
	public static SchedulerConfig empty() {
		return new SchedulerConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
			null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
	}

	private static final Set<String> KNOWN_KEYS = Set.of("num_train_timesteps", "beta_start", "beta_end",
		"beta_schedule", "trained_betas", "prediction_type", "timestep_spacing", "steps_offset", "set_alpha_to_one",
		"clip_sample", "clip_sample_range", "skip_prk_steps", "thresholding", "rescale_betas_zero_snr",
		"use_karras_sigmas", "sigma_min", "sigma_max", "interpolation_type", "timestep_type", "solver_order",
		"algorithm_type", "solver_type", "lower_order_final", "euler_at_final", "use_lu_lambdas", "lambda_min_clipped",
		"variance_type", "dynamic_thresholding_ratio", "sample_max_value");

	/**
	 * This config with every absent key set to the default of the given diffusers v0.25.1 class
	 * ({@code __init__} signature). Keys the class does not have stay as they are.
	 */
	public SchedulerConfig withDefaultsOf(Family f) {
		boolean euler = f == Family.EULER || f == Family.EULER_ANCESTRAL;
		boolean dpm = f == Family.DPM_MULTISTEP;
		boolean leading = f == Family.DDPM || f == Family.DDIM || f == Family.PNDM;
		return new SchedulerConfig(source, className,
			or(numTrainTimesteps, 1000),
			or(betaStart, 0.0001),
			or(betaEnd, 0.02),
			or(betaSchedule, "linear"),
			trainedBetas,
			or(predictionType, "epsilon"),
			or(timestepSpacing, leading ? "leading" : "linspace"),
			or(stepsOffset, 0),
			or(setAlphaToOne, f == Family.DDIM),
			or(clipSample, f == Family.DDIM || f == Family.DDPM),
			or(clipSampleRange, 1.0),
			or(skipPrkSteps, false),
			or(thresholding, false),
			or(rescaleBetasZeroSnr, false),
			or(useKarrasSigmas, false),
			sigmaMin,
			sigmaMax,
			or(interpolationType, "linear"),
			or(timestepType, "discrete"),
			or(solverOrder, 2),
			or(algorithmType, "dpmsolver++"),
			or(solverType, "midpoint"),
			or(lowerOrderFinal, true),
			or(eulerAtFinal, false),
			or(useLuLambdas, false),
			or(lambdaMinClipped, Double.NEGATIVE_INFINITY),
			or(varianceType, f == Family.DDPM ? "fixed_small" : null),
			unknownKeys);
	}

	/** This config with {@code use_karras_sigmas} set (the "Karras" variants of a sampler menu). */
	public SchedulerConfig withKarrasSigmas(boolean karras) {
		return new SchedulerConfig(source, className, numTrainTimesteps, betaStart, betaEnd, betaSchedule,
			trainedBetas, predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
			skipPrkSteps, thresholding, rescaleBetasZeroSnr, karras, sigmaMin, sigmaMax, interpolationType,
			timestepType, solverOrder, algorithmType, solverType, lowerOrderFinal, eulerAtFinal, useLuLambdas,
			lambdaMinClipped, varianceType, unknownKeys);
	}

	/**
	 * This config with {@code skip_prk_steps} set. The "PLMS" menu entry uses {@code true}: that is what the name
	 * means, and SD 1.x/2.x files say so anyway, but {@code PNDMScheduler}'s own default is {@code false}.
	 */
	public SchedulerConfig withSkipPrkSteps(boolean skip) {
		return new SchedulerConfig(source, className, numTrainTimesteps, betaStart, betaEnd, betaSchedule,
			trainedBetas, predictionType, timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
			skip, thresholding, rescaleBetasZeroSnr, useKarrasSigmas, sigmaMin, sigmaMax, interpolationType,
			timestepType, solverOrder, algorithmType, solverType, lowerOrderFinal, eulerAtFinal, useLuLambdas,
			lambdaMinClipped, varianceType, unknownKeys);
	}

	/** This config with another {@code prediction_type} (a request's override of the model's own). */
	public SchedulerConfig withPredictionType(PredictionType p) {
		return new SchedulerConfig(source, className, numTrainTimesteps, betaStart, betaEnd, betaSchedule,
			trainedBetas, p.configName(), timestepSpacing, stepsOffset, setAlphaToOne, clipSample, clipSampleRange,
			skipPrkSteps, thresholding, rescaleBetasZeroSnr, useKarrasSigmas, sigmaMin, sigmaMax, interpolationType,
			timestepType, solverOrder, algorithmType, solverType, lowerOrderFinal, eulerAtFinal, useLuLambdas,
			lambdaMinClipped, varianceType, unknownKeys);
	}

	/** The prediction type as an enum (after {@link #withDefaultsOf}). */
	public PredictionType prediction() {
		return PredictionType.of(predictionType == null ? "epsilon" : predictionType);
	}

	/** Where this config came from, for messages. */
	String where() {
		return source == null ? "scheduler config (built in code)" : source.toString();
	}

	/** Fails with a message naming the file when a valid diffusers option is not implemented by this port. */
	IllegalArgumentException unsupported(String key, Object value, String scheduler) {
		return new IllegalArgumentException(where() + ": " + key + " = " + value + " is not supported by " + scheduler
			+ " in this port");
	}

	private static <T> T or(T v, T d) {
		return v != null ? v : d;
	}

	/** Typed access to the JSON object with messages that name the file and the key. */
	private record Reader(JsonObject o, Path source) {

		private JsonElement get(String k) {
			JsonElement e = o.get(k);
			return e == null || e.isJsonNull() ? null : e;
		}

		private IllegalArgumentException bad(String k, JsonElement e, String expected) {
			return new IllegalArgumentException((source == null ? "scheduler config" : source.toString()) + ": key '"
				+ k + "' must be " + expected + ", found " + e);
		}

		String str(String k, Set<String> allowed) {
			JsonElement e = get(k);
			if (e == null) return null;
			if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) throw bad(k, e, "a string");
			String s = e.getAsString();
			if (allowed != null && !allowed.contains(s))
				throw bad(k, e, "one of " + allowed.stream().sorted().toList());
			return s;
		}

		Integer integer(String k) {
			JsonElement e = get(k);
			if (e == null) return null;
			if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw bad(k, e, "an integer");
			double d = e.getAsDouble();
			if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) throw bad(k, e, "an integer");
			return (int) d;
		}

		Double dbl(String k) {
			JsonElement e = get(k);
			if (e == null) return null;
			if (e.isJsonPrimitive()) {
				JsonPrimitive p = e.getAsJsonPrimitive();
				if (p.isNumber()) return p.getAsDouble();
				if (p.isString()) {
					switch (p.getAsString()) {
						case "-inf", "-Infinity": return Double.NEGATIVE_INFINITY;
						case "inf", "Infinity": return Double.POSITIVE_INFINITY;
						default: break;
					}
				}
			}
			throw bad(k, e, "a number");
		}

		Boolean bool(String k) {
			JsonElement e = get(k);
			if (e == null) return null;
			if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw bad(k, e, "true or false");
			return e.getAsBoolean();
		}

		float[] floats(String k) {
			JsonElement e = get(k);
			if (e == null) return null;
			if (!e.isJsonArray()) throw bad(k, e, "an array of numbers");
			JsonArray a = e.getAsJsonArray();
			float[] out = new float[a.size()];
			for (int i = 0; i < out.length; i++) {
				JsonElement x = a.get(i);
				if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) throw bad(k, e, "an array of numbers");
				out[i] = (float) x.getAsDouble();
			}
			return out;
		}
	}
}
