package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.train.TrainConfig.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TrainConfig}: defaults, the config.json round trip, errors that name the file and the key, and overrides. */
class TrainConfigTest {

	@TempDir
	Path tmp;

	private Path file(String json) throws Exception {
		Path f = tmp.resolve("config-" + Integer.toHexString(json.hashCode()) + ".json");
		Files.writeString(f, json, StandardCharsets.UTF_8);
		return f;
	}

	private String error(String json) throws Exception {
		Path f = file(json);
		TrainingException e = assertThrows(TrainingException.class, () -> TrainConfig.read(f), json);
		assertTrue(e.getMessage().startsWith(f.toString() + ": "), "the message names the file: " + e.getMessage());
		return e.getMessage();
	}

	private static void assertContains(String message, String... parts) {
		for (String p : parts) assertTrue(message.contains(p), "'" + p + "' not in: " + message);
	}

	@Test
	void defaultsPerMethod() throws Exception {
		TrainConfig ti = TrainConfig.defaults(Method.TEXTUAL_INVERSION);
		assertEquals(Method.TEXTUAL_INVERSION, ti.method());
		assertEquals(5e-3, ti.optimizer().learningRate());
		assertEquals(0.0, ti.optimizer().maxGradNorm(), "the diffusers TI script does not clip");
		assertEquals("object", ti.captions().mode());
		assertEquals("<my-cell>", ti.textualInversion().token());
		assertEquals("cell", ti.textualInversion().initializer());
		assertEquals(1, ti.textualInversion().numVectors());
		TrainConfig lora = TrainConfig.defaults(Method.LORA);
		assertEquals(1e-4, lora.optimizer().learningRate());
		assertEquals(1.0, lora.optimizer().maxGradNorm());
		assertEquals("dataset", lora.captions().mode());
		assertEquals(8, lora.lora().rank());
		assertEquals("attention", lora.lora().targets());
		for (TrainConfig c : List.of(ti, lora)) {
			assertEquals("adamw", c.optimizer().type());
			assertEquals(0.9, c.optimizer().beta1());
			assertEquals(0.999, c.optimizer().beta2());
			assertEquals(1e-8, c.optimizer().epsilon());
			assertEquals(1e-2, c.optimizer().weightDecay());
			assertEquals("constant", c.schedule().type());
			assertEquals(1, c.batchSize());
			assertEquals(1, c.gradientAccumulationSteps());
			assertEquals("no", c.mixedPrecision());
			assertEquals(List.of(TrainConfig.Validation.CAPTION), c.validation().prompts());
			assertEquals(List.of(42L), c.validation().seeds());
			assertEquals(1, c.data().repeats());
			assertFalse(c.ema().enabled());
		}
		// a file gets the defaults of the method it names, whatever the caller's fallback
		assertEquals(1e-4, TrainConfig.read(file("{\"method\": \"lora\"}"), Method.TEXTUAL_INVERSION).optimizer()
			.learningRate());
		assertEquals(Method.LORA, TrainConfig.read(file("{}"), Method.LORA).method());
		assertEquals(Method.TEXTUAL_INVERSION, TrainConfig.read(file("{}")).method());
		// keys a file leaves out keep their defaults, section by section
		TrainConfig partial = TrainConfig.read(file("{\"optimizer\": {\"learning_rate\": 0.01}, \"steps\": 7}"));
		assertEquals(0.01, partial.optimizer().learningRate());
		assertEquals(0.9, partial.optimizer().beta1());
		assertEquals(7, partial.steps());
		assertEquals(ti.data(), partial.data());
	}

	@Test
	void configJsonRoundTrips() throws Exception {
		TrainConfig c = TrainConfig.defaults(Method.LORA).with(Map.of("model", "/models/sd15", "dataset", "/data/cells",
			"seed", "1099511627776", "steps", "321", "optimizer.type", "prodigy", "optimizer.learning_rate", "1",
			"optimizer.text_encoder_learning_rate", "1", "schedule.type", "cosine_with_restarts",
			"validation.prompts", "<my-cell> in a dish, 4x|{caption}", "lora.token", "<my-cell>"))
			.with("validation.seeds", "[1, 2, 3]").with("data.regularization_dataset", "/data/class")
			.with("loss.min_snr_gamma", "5").with("captions.dropout", "0.1");
		Path f = tmp.resolve("run/config.json");
		Files.createDirectories(f.getParent());
		c.write(f);
		TrainConfig back = TrainConfig.read(f);
		assertEquals(c, back);
		assertEquals(back, TrainConfig.read(f, Method.TEXTUAL_INVERSION), "the file's method decides");
		String text = Files.readString(f);
		assertContains(text, "\"method\": \"lora\"", "\"token\": \"<my-cell>\"", "\"seed\": 1099511627776",
			"\"prompts\": [\n");
		// and the defaults of both methods round-trip too
		for (Method m : Method.values()) {
			TrainConfig d = TrainConfig.defaults(m);
			d.write(f);
			assertEquals(d, TrainConfig.read(f));
		}
	}

	@Test
	void unknownKeysAreErrorsWithASuggestion() throws Exception {
		assertContains(error("{\"optimizer\": {\"learning_rat\": 0.1}}"), "unknown key 'optimizer.learning_rat'",
			"did you mean 'optimizer.learning_rate'?");
		assertContains(error("{\"learning_rate\": 0.1}"), "unknown key 'learning_rate'",
			"did you mean 'optimizer.learning_rate'?");
		assertContains(error("{\"stesp\": 10}"), "unknown key 'stesp'", "did you mean 'steps'?");
		String none = error("{\"completely_unrelated\": 1}");
		assertContains(none, "unknown key 'completely_unrelated'");
		assertFalse(none.contains("did you mean"), none);
	}

	@Test
	void wrongTypesNameTheKey() throws Exception {
		assertContains(error("{\"steps\": \"ten\"}"), "steps must be an integer, found \"ten\"");
		assertContains(error("{\"optimizer\": {\"learning_rate\": \"high\"}}"),
			"optimizer.learning_rate must be a number, found \"high\"");
		assertContains(error("{\"steps\": null}"), "steps must be an integer, found null");
		assertContains(error("{\"validation\": {\"seeds\": [1, \"x\"]}}"), "validation.seeds must be a list of integers");
		assertContains(error("{\"data\": {\"flip\": \"yes\"}}"), "data.flip must be true or false, found \"yes\"");
		assertContains(error("{\"validation\": {\"prompts\": \"a cat\"}}"), "validation.prompts must be a list");
		assertContains(error("{\"data\": 3}"), "data must be an object, found 3");
		assertContains(error("{\"captions\": {\"mode\": 2}}"), "captions.mode must be a string, found 2");
		assertContains(error("{\"method\": 1}"), "method must be a string");
		// keys whose default is null still have a type
		assertContains(error("{\"optimizer\": {\"text_encoder_learning_rate\": \"fast\"}}"),
			"optimizer.text_encoder_learning_rate must be a number, found \"fast\"");
		assertContains(error("{\"captions\": {\"trigger\": 5}}"), "captions.trigger must be a string, found 5");
		assertContains(error("{\"model\": [\"a\"]}"), "model must be a string");
		assertContains(error("[1, 2]"), "expected a JSON object");
		assertContains(error("{\"steps\": 10,"), "not valid JSON");
	}

	@Test
	void integerKeysRefuseFractions() throws Exception {
		assertContains(error("{\"steps\": 10.5}"), "steps must be an integer");
		assertContains(error("{\"seed\": 1.5}"), "seed must be an integer");
		assertContains(error("{\"batch_size\": 1e10}"), "batch_size must be an integer up to 2147483647");
		// 2^32 + 1000: once wrapped to 1000
		assertContains(error("{\"steps\": 4294968296}"), "steps must be an integer up to 2147483647");
		assertContains(error("{\"data\": {\"flip\": null}}"), "data.flip must be true or false, found null");
		assertContains(error("{\"validation\": {\"seeds\": [1, 2.5]}}"), "validation.seeds");
		assertEquals(1000, TrainConfig.read(file("{\"steps\": 1e3}")).steps(), "1e3 is an integer");
		assertEquals(12, TrainConfig.read(file("{\"steps\": 12.0}")).steps(), "12.0 is an integer");
	}

	@Test
	void outOfRangeValuesNameTheKey() throws Exception {
		assertContains(error("{\"batch_size\": 0}"), "batch_size must be in 1..4096, found 0");
		assertContains(error("{\"optimizer\": {\"beta1\": 1.5}}"), "optimizer.beta1 must be a number in");
		assertContains(error("{\"optimizer\": {\"learning_rate\": 0}}"), "optimizer.learning_rate must be above 0");
		assertContains(error("{\"data\": {\"crop\": \"middle\"}}"), "data.crop must be one of center, random, found 'middle'");
		assertContains(error("{\"schedule\": {\"type\": \"cosine_annealing\"}}"), "schedule.type must be one of");
		assertContains(error("{\"steps\": 0, \"epochs\": 0}"), "steps or epochs must be set");
		assertContains(error("{\"textual_inversion\": {\"token\": \"my cell\"}}"), "must not contain spaces");
		assertContains(error("{\"method\": \"lora\", \"lora\": {\"targets\": \"to_q(\"}}"),
			"lora.targets is neither attention, extended nor a valid regular expression");
		assertContains(error("{\"method\": \"dreambooth\"}"), "unknown method 'dreambooth'");
	}

	@Test
	void allProblemsOfAFileAreReportedTogether() throws Exception {
		String m = error("{\"stesp\": 5, \"batch_size\": 0, \"data\": {\"flip\": \"yes\", \"crop\": \"middle\"},"
			+ " \"optimizer\": {\"beta1\": 2, \"learning_rat\": 1}, \"steps\": 1.5}");
		assertContains(m, "7 problems", "unknown key 'stesp'", "batch_size must be in 1..4096",
			"data.flip must be true or false", "data.crop must be one of", "optimizer.beta1 must be a number in",
			"unknown key 'optimizer.learning_rat'", "steps must be an integer");
	}

	@Test
	void overridesParseLikeTheKeysType() {
		TrainConfig c = TrainConfig.defaults(Method.TEXTUAL_INVERSION);
		assertEquals(List.of("a cat", "a dog"), c.with("validation.prompts", "a cat, a dog").validation().prompts());
		assertEquals(List.of("a cat, sitting", "a dog"), c.with("validation.prompts", "a cat, sitting|a dog")
			.validation().prompts(), "'|' separates prompts that contain commas");
		assertEquals(List.of("x, y", "z"), c.with("validation.prompts", "[\"x, y\", \"z\"]").validation().prompts());
		assertEquals(List.of(), c.with("validation.prompts", "[]").validation().prompts());
		assertEquals(List.of(), c.with("validation.prompts", "").validation().prompts());
		assertEquals(List.of("{token} in a dish", "{caption}"), c.with("validation.prompts", "{token} in a dish|{caption}")
			.validation().prompts(), "a prompt may start with {token}");
		assertEquals(List.of(1L, 2L, 3L), c.with("validation.seeds", "1,2, 3").validation().seeds());
		assertEquals(List.of(4L, 5L), c.with("validation.seeds", "[4, 5]").validation().seeds());
		assertTrue(c.with("data.flip", "true").data().flip());
		assertFalse(c.with("data.flip", "true").with("data.flip", "FALSE").data().flip());
		assertEquals(1e-4, c.with("optimizer.learning_rate", "1e-4").optimizer().learningRate());
		assertEquals(12, c.with("steps", "12").steps());
		assertEquals(1099511627776L, c.with("seed", "1099511627776").seed());
		assertEquals(2e-5, c.with("optimizer.text_encoder_learning_rate", "2e-5").optimizer().textEncoderLearningRate());
		assertNull(c.with("optimizer.text_encoder_learning_rate", "2e-5").with("optimizer.text_encoder_learning_rate", "null")
			.optimizer().textEncoderLearningRate());
		assertEquals("cells", c.with("captions.trigger", "cells").captions().trigger());
		assertNull(c.with("captions.trigger", "cells").with("captions.trigger", "null").captions().trigger());
		// strings stay as typed, also where the key's default is null
		assertEquals("007", c.with("captions.trigger", "007").captions().trigger());
		assertEquals("1e5", c.with("output_name", "1e5").outputName());
		assertEquals("true", c.with("captions.trigger", "true").captions().trigger());
		assertEquals("[cell]", c.with("captions.trigger", "[cell]").captions().trigger());
		assertEquals("{x}", c.with("textual_inversion.token", "{x}").textualInversion().token());
		assertEquals(Method.LORA, c.with("method", "lora").method());
	}

	@Test
	void badOverridesNameTheSetting() {
		TrainConfig c = TrainConfig.defaults(Method.TEXTUAL_INVERSION);
		assertContains(assertThrows(TrainingException.class, () -> c.with("optimizer.learning_rat", "1")).getMessage(),
			"unknown setting 'optimizer.learning_rat'", "did you mean 'optimizer.learning_rate'?");
		assertContains(assertThrows(TrainingException.class, () -> c.with("data.flip", "yes")).getMessage(),
			"data.flip must be true or false, not 'yes'");
		assertContains(assertThrows(TrainingException.class, () -> c.with("steps", "abc")).getMessage(),
			"steps must be a number, not 'abc'");
		assertContains(assertThrows(TrainingException.class, () -> c.with("steps", "1.5")).getMessage(),
			"steps must be an integer");
		assertContains(assertThrows(TrainingException.class, () -> c.with("batch_size", "0")).getMessage(),
			"setting batch_size: batch_size must be in 1..4096, found 0");
		assertContains(assertThrows(TrainingException.class,
			() -> c.with("optimizer.text_encoder_learning_rate", "fast")).getMessage(),
			"optimizer.text_encoder_learning_rate must be a number");
		assertContains(assertThrows(TrainingException.class, () -> c.with("validation.seeds", "1,x")).getMessage(),
			"validation.seeds");
	}
}
