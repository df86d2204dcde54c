package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.train.TrainConfig.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TrainOptions}, the one mapping of the training faces' options onto config keys (the CLI's flags and
 * Fiji's fields): which key each option sets, the options that depend on each other, the order of file, options
 * and settings, and refusals that name the option as the face calls it. Nothing is loaded.
 */
class TrainOptionsTest {

	@TempDir
	Path tmp;

	private int runs;

	/** Options of a new run in a folder of its own. */
	private TrainOptions base() throws Exception {
		TrainOptions o = new TrainOptions();
		o.model = Files.createDirectories(tmp.resolve("model"));
		o.dataset = Files.createDirectories(tmp.resolve("data"));
		o.out = tmp.resolve("run" + ++runs);
		return o;
	}

	private static String refusal(TrainOptions o, Method m) {
		return assertThrows(TrainingException.class, () -> o.resolve(m, TrainOptions.CLI)).getMessage();
	}

	@Test
	void optionsSetTheirKeys() throws Exception {
		TrainOptions o = base();
		o.steps = 10;
		o.learningRate = 2e-3;
		o.batchSize = 2;
		o.accumulation = 3;
		o.resolution = 256;
		o.validationPrompts = List.of("a, b", "{caption}");
		o.token = "<x>";
		o.init = "nucleus";
		o.captions = "dataset";
		o.vectors = 3;
		o.rank = 16; // a LoRA option: not read for textual inversion
		TrainConfig c = o.resolve(Method.TEXTUAL_INVERSION, TrainOptions.CLI).config();
		assertEquals(10, c.steps());
		assertEquals(2e-3, c.optimizer().learningRate());
		assertEquals(2, c.batchSize());
		assertEquals(3, c.gradientAccumulationSteps());
		assertEquals(256, c.data().resolution());
		assertEquals(List.of("a, b", "{caption}"), c.validation().prompts(), "prompts may hold commas");
		assertEquals("<x>", c.textualInversion().token());
		assertEquals("nucleus", c.textualInversion().initializer());
		assertEquals("nucleus", c.captions().replaceWord(), "the dataset's captions: the init word becomes the token");
		assertEquals(3, c.textualInversion().numVectors());
		assertEquals(TrainConfig.defaults(Method.LORA).lora().rank(), c.lora().rank());
		assertEquals(o.model.toAbsolutePath().toString(), c.model());

		o.replaceWord = "cell"; // an explicit word wins over the init word
		assertEquals("cell", o.resolve(Method.TEXTUAL_INVERSION, TrainOptions.CLI).config().captions().replaceWord());
	}

	@Test
	void dependentOptions() throws Exception {
		TrainOptions o = base();
		o.epochs = 5;
		o.rank = 16;
		o.token = "<my-cell>";
		o.init = "cell";
		TrainConfig c = o.resolve(Method.LORA, TrainOptions.CLI).config();
		assertEquals(0, c.steps(), "epochs without steps: the epochs decide");
		assertEquals(5, c.epochs());
		assertEquals(16.0, c.lora().alpha(), "alpha follows the rank unless given");
		assertEquals("<my-cell>", c.lora().token());
		assertEquals("cell", c.lora().tokenInitializer());
		assertNull(c.captions().replaceWord(), "a LoRA's token init word replaces nothing");
		o.alpha = 4.0;
		o.steps = 7;
		c = o.resolve(Method.LORA, TrainOptions.CLI).config();
		assertEquals(4.0, c.lora().alpha());
		assertEquals(7, c.steps(), "steps given: they decide");
	}

	@Test
	void fileThenOptionsThenSettings() throws Exception {
		TrainOptions o = base();
		o.config = Files.writeString(tmp.resolve("c.json"), "{\"steps\": 50, \"seed\": 3, \"lora\": {\"rank\": 2}}");
		o.steps = 60;
		o.setting("steps=70", "--set");
		o.settings("optimizer.weight_decay=0; data.flip = true", "settings");
		TrainConfig c = o.resolve(Method.LORA, TrainOptions.CLI).config();
		assertEquals(Method.LORA, c.method(), "a file without a method is read for the face's method");
		assertEquals(3, c.seed(), "from the file");
		assertEquals(2, c.lora().rank(), "from the file");
		assertEquals(70, c.steps(), "settings come last");
		assertEquals(0.0, c.optimizer().weightDecay());
		assertTrue(c.data().flip());
	}

	@Test
	void refusalsNameTheOption() throws Exception {
		TrainOptions o = base();
		o.model = tmp.resolve("nope");
		assertEquals("--model " + tmp.resolve("nope") + ": no such file or folder", refusal(o, Method.LORA));

		o = base();
		o.out = null;
		assertEquals("--out is required (the run folder)", refusal(o, Method.LORA));

		o = base();
		Files.createDirectories(o.out);
		Files.writeString(o.out.resolve("config.json"), "{}");
		String e = refusal(o, Method.LORA);
		assertTrue(e.contains("already holds a training run") && e.contains("--resume " + o.out), e);

		o.resume = o.out;
		o.config = o.out.resolve("config.json");
		assertTrue(refusal(o, Method.LORA).contains("leave out --config"));

		o = base();
		o.resume = tmp.resolve("data"); // a folder without config.json
		o.out = null;
		assertTrue(refusal(o, Method.LORA).endsWith("not a run folder (no config.json)"));

		TrainOptions lr = base();
		lr.learningRate = -1.0;
		e = refusal(lr, Method.TEXTUAL_INVERSION);
		assertTrue(e.startsWith("--lr: ") && e.contains("optimizer.learning_rate must be"), e);
		assertTrue(assertThrows(TrainingException.class, () -> lr.resolve(Method.TEXTUAL_INVERSION, TrainOptions.CLI))
			instanceof TrainOptions.OptionException);

		TrainOptions p = base();
		p.setting("optimizer.lr=1", "--set");
		assertTrue(refusal(p, Method.LORA).startsWith("--set: unknown setting 'optimizer.lr'"));
		assertThrows(TrainOptions.OptionException.class, () -> p.setting("novalue", "--set"));

		TrainOptions q = base();
		q.config = Files.writeString(tmp.resolve("ti.json"), "{\"method\": \"textual_inversion\"}");
		assertTrue(refusal(q, Method.LORA).contains("the config is for textual inversion"));
		q.config = Files.writeString(tmp.resolve("broken.json"), "{steps: 1");
		TrainingException broken = assertThrows(TrainingException.class, () -> q.resolve(Method.LORA, TrainOptions.CLI));
		assertTrue(!(broken instanceof TrainOptions.OptionException) && broken.getMessage().startsWith(q.config.toString()),
			"a config file that cannot be used is not an option error (the CLI exits 3 for it): " + broken.getMessage());
	}
}
