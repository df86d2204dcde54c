package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainOptions;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.app.event.StatusEvent;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.event.EventHandler;
import org.scijava.event.EventService;
import org.scijava.module.ModuleService;

/**
 * Train Textual Inversion headless through SciJava's CommandService on the tiny model: the fields become the
 * config keys the CLI's flags give, a short run writes its run folder and outputs and resumes, and bad inputs end
 * in one cancel reason that names the field or file, before the model is loaded.
 */
class TrainTextualInversionCommandTest {

	@TempDir
	static Path shared;

	@TempDir
	Path tmp;

	static Context context;
	static CommandService commands;
	static Path model, dataset;

	@BeforeAll
	static void start() throws Exception {
		context = new Context();
		commands = context.service(CommandService.class);
		model = TinyModel.write(shared.resolve("model"), 1);
		dataset = TrainingFixtures.captionFolder(shared.resolve("data"), 4);
	}

	@AfterAll
	static void stop() {
		if (context != null) context.dispose();
	}

	/** Every input, as a macro passes them (a short run on the tiny model); tests change what they vary. */
	static Map<String, Object> inputs(Path runDir) {
		Map<String, Object> m = new HashMap<>();
		m.put("model", model.toFile());
		m.put("dataset", dataset.toFile());
		m.put("run_dir", runDir.toFile());
		m.put("token", "<my-cell>");
		m.put("init", "cell");
		m.put("steps", 3);
		m.put("learning_rate", 0.01);
		m.put("resume", false);
		m.put("tokenizer_dir", null);
		m.put("config_file", null);
		m.put("init_file", null);
		m.put("vectors", 2);
		m.put("captions", "dataset");
		m.put("batch_size", 2);
		m.put("accumulation", 1);
		m.put("epochs", 0);
		m.put("resolution", 32);
		m.put("optimizer", "adamw");
		m.put("scheduler", "constant");
		m.put("warmup", 0);
		m.put("seed", 7L);
		m.put("mixed_precision", "no");
		m.put("gradient_checkpointing", false);
		m.put("validation_prompts", "a micrograph of {token}");
		m.put("validation_every", 2);
		m.put("checkpoint_every", 2);
		m.put("output_name", "");
		m.put("settings", "validation.steps=2; data.flip=true");
		return m;
	}

	static CommandModule run(Map<String, Object> inputs) throws Exception {
		return commands.run(TrainTextualInversionCommand.class, true, inputs).get(5, TimeUnit.MINUTES);
	}

	/** The options the fields give, as the command builds them (nothing runs). */
	static TrainConfig config(Map<String, Object> inputs) throws Exception {
		CommandModule m = (CommandModule) context.service(ModuleService.class)
			.createModule(commands.getCommand(TrainTextualInversionCommand.class));
		inputs.forEach(m::setInput);
		TrainOptions o = ((TrainTextualInversionCommand) m.getCommand()).options();
		return o.resolve(TrainConfig.Method.TEXTUAL_INVERSION, TrainingRun.names(TrainConfig.Method.TEXTUAL_INVERSION))
			.config();
	}

	@Test
	void fieldsBecomeTheConfigKeys() throws Exception {
		Map<String, Object> in = inputs(tmp.resolve("run"));
		in.put("mixed_precision", "fp16");
		in.put("gradient_checkpointing", true);
		in.put("optimizer", "prodigy");
		in.put("scheduler", "cosine");
		in.put("warmup", 5);
		in.put("accumulation", 3);
		in.put("output_name", "cells-v1");
		in.put("validation_prompts", "a micrograph of {token} | {caption}");
		TrainConfig c = config(in);
		assertEquals(TrainConfig.Method.TEXTUAL_INVERSION, c.method());
		assertEquals(model.toAbsolutePath().toString(), c.model());
		assertEquals(dataset.toAbsolutePath().toString(), c.dataset());
		assertEquals("<my-cell>", c.textualInversion().token());
		assertEquals("cell", c.textualInversion().initializer());
		assertEquals(2, c.textualInversion().numVectors());
		assertEquals("dataset", c.captions().mode());
		assertEquals("cell", c.captions().replaceWord(), "with the dataset's captions the init word becomes the token");
		assertEquals(3, c.steps());
		assertEquals(0.01, c.optimizer().learningRate());
		assertEquals("prodigy", c.optimizer().type());
		assertEquals("cosine", c.schedule().type());
		assertEquals(5, c.schedule().warmupSteps());
		assertEquals(2, c.batchSize());
		assertEquals(3, c.gradientAccumulationSteps());
		assertEquals(32, c.data().resolution());
		assertEquals(7, c.seed());
		assertEquals("fp16", c.mixedPrecision());
		assertTrue(c.gradientCheckpointing());
		assertEquals(List.of("a micrograph of {token}", "{caption}"), c.validation().prompts());
		assertEquals(2, c.validation().everySteps());
		assertEquals(2, c.checkpoints().everySteps());
		assertEquals("cells-v1", c.outputName());
		assertEquals(2, c.validation().steps(), "settings reach any key");
		assertTrue(c.data().flip());
		assertNull(c.tokenizer());
		assertNull(c.textualInversion().initializerFile());

		in.put("epochs", 4);
		in.put("validation_prompts", "");
		in.put("captions", "object");
		c = config(in);
		assertEquals(4, c.epochs());
		assertEquals(0, c.steps(), "epochs above 0 decide the length");
		assertEquals(List.of(), c.validation().prompts(), "no validation prompts");
		assertEquals("object", c.captions().mode());
		assertNull(c.captions().replaceWord(), "the templates have no word to replace");
	}

	@Test
	void trainsWritesTheRunFolderAndResumes() throws Exception {
		List<StatusEvent> events = Collections.synchronizedList(new ArrayList<>());
		Object spy = new Object() {
			@EventHandler
			void onStatus(StatusEvent e) {
				events.add(e);
			}
		};
		var subscribers = context.service(EventService.class).subscribe(spy);
		Path run = tmp.resolve("run");
		CommandModule m = run(inputs(run));
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(run.toAbsolutePath().normalize().toString(), m.getOutput("run_folder"));
		Path result = Path.of((String) m.getOutput("result_file"));
		assertEquals(run.resolve("my-cell.safetensors").toAbsolutePath().normalize(), result);
		assertEquals(result.toString(), TrainingRun.lastResultFile(), "for macros");
		assertTrue(Files.isRegularFile(run.resolve("learned_embeds.safetensors")));
		try (SafetensorsFile f = SafetensorsFile.open(result)) {
			assertEquals("stable-diffusion-v1/textual-inversion", f.metadata().get("modelspec.architecture"));
			assertEquals("3", f.metadata().get("diffusej.steps"));
			assertEquals(List.of(2L, 32L), List.of(f.info("emb_params").shape()[0], f.info("emb_params").shape()[1]),
				"2 vectors of the tiny text encoder's width");
		}
		TrainConfig written = TrainConfig.read(run.resolve("config.json"));
		assertEquals("<my-cell>", written.textualInversion().token());
		assertEquals(0.01, written.optimizer().learningRate());
		assertEquals(3, stepLines(run), "one loss.csv line per step");
		assertTrue(Files.isRegularFile(run.resolve("loss.png")));
		assertTrue(Files.isDirectory(run.resolve("checkpoints/checkpoint-step_00000002")));
		ImagePlus validation = (ImagePlus) m.getOutput("validation");
		assertNotNull(validation);
		assertEquals(3, validation.getStackSize(), "validation images at steps 0, 2 and 3");
		assertTrue(validation.getStack().getSliceLabel(3).startsWith("step 3, "), validation.getStack().getSliceLabel(3));
		assertTrue(events.stream().anyMatch(e -> e.getProgressMaximum() == 3 && e.getProgressValue() == 2),
			"progress per step in the status bar");
		context.service(EventService.class).unsubscribe(subscribers);

		// the same folder again without Resume is refused; with it, the run goes on to the new step count
		CommandModule again = run(inputs(run));
		assertTrue(again.isCanceled());
		assertTrue(again.getCancelReason().contains("already holds a training run") && again.getCancelReason()
			.contains("resume=true"), again.getCancelReason());
		Map<String, Object> resume = inputs(run);
		resume.put("resume", true);
		resume.put("steps", 4);
		resume.put("learning_rate", 1.0); // ignored: a resumed run keeps its config
		CommandModule resumed = run(resume);
		assertFalse(resumed.isCanceled(), resumed.getCancelReason());
		assertEquals(4, stepLines(run));
		try (SafetensorsFile f = SafetensorsFile.open(run.resolve("my-cell.safetensors"))) {
			assertEquals("4", f.metadata().get("diffusej.steps"));
			assertTrue(f.metadata().get("diffusej.config").contains("\"learning_rate\":0.01"),
				"the run's own learning rate: " + f.metadata().get("diffusej.config"));
		}
	}

	static long stepLines(Path run) throws Exception {
		return Files.readAllLines(run.resolve("loss.csv"), StandardCharsets.UTF_8).stream().skip(1)
			.filter(l -> !l.matches("\\d+,,.*")).count();
	}

	static long stepLinesOrZero(Path run) throws Exception {
		return Files.isRegularFile(run.resolve("loss.csv")) ? stepLines(run) : 0;
	}

	/** The command's error (its cancel reason: one dialog in Fiji). */
	static String error(Map<String, Object> in) throws Exception {
		CommandModule m = run(in);
		assertTrue(m.isCanceled(), "expected an error");
		assertNotNull(m.getCancelReason());
		assertFalse(m.getCancelReason().isBlank());
		assertNull(m.getOutput("result_file"));
		assertEquals("", TrainingRun.lastResultFile(), "a macro sees no result, not an earlier run's");
		return m.getCancelReason();
	}

	static void assertContains(String message, String... parts) {
		for (String p : parts) assertTrue(message.contains(p), "'" + p + "' not in: " + message);
	}

	@Test
	void badInputsNameTheFieldBeforeTheModelLoads() throws Exception {
		Path run = tmp.resolve("run");
		Map<String, Object> in = inputs(run);
		in.put("model", tmp.resolve("no-such-model").toFile());
		assertContains(error(in), "model ", "no-such-model: no such file or folder");

		// a folder that is no model: the missing dataset is reported first, so nothing was loaded
		in = inputs(run);
		in.put("model", Files.createDirectories(tmp.resolve("empty")).toFile());
		in.put("dataset", tmp.resolve("no-such-dataset").toFile());
		assertContains(error(in), "dataset ", "no-such-dataset: no such file or folder");

		in = inputs(run);
		in.put("token", "<my cell>");
		assertContains(error(in), "token: ", "must not contain spaces");

		in = inputs(run);
		in.put("init", "");
		assertContains(error(in), "init: ", "init_file");

		in = inputs(run);
		in.put("settings", "optimizer.lerning_rate=1");
		assertContains(error(in), "settings: ", "unknown setting 'optimizer.lerning_rate'", "optimizer.learning_rate");

		in = inputs(run);
		in.put("settings", "data.flip");
		assertContains(error(in), "settings needs KEY=VALUE", "data.flip");

		Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"steps\": \"many\"}");
		in = inputs(run);
		in.put("config_file", bad.toFile());
		assertContains(error(in), bad.toString(), "steps must be an integer");

		Path lora = Files.writeString(tmp.resolve("lora.json"), "{\"method\": \"lora\"}");
		in.put("config_file", lora.toFile());
		assertContains(error(in), lora.toString(), "is for LoRA");

		in = inputs(run);
		in.put("resume", true);
		in.put("run_dir", Files.createDirectories(tmp.resolve("not-a-run")).toFile());
		assertContains(error(in), "run_dir ", "not-a-run: not a run folder (no config.json)");

		Path file = Files.writeString(tmp.resolve("a-file"), "x");
		in = inputs(file);
		assertContains(error(in), "run_dir ", "a-file is a file, not a folder");
		assertFalse(Files.exists(run), "no run folder was made by a refused run");
	}

	@Test
	void blankOptionalPathsFromAMacroAreNotGiven() throws Exception {
		Map<String, Object> in = inputs(tmp.resolve("run"));
		in.put("tokenizer_dir", new File("")); // a macro's tokenizer_dir=[] config_file=[] init_file=[]
		in.put("config_file", new File(""));
		in.put("init_file", new File(""));
		TrainConfig c = config(in);
		assertNull(c.tokenizer());
		assertNull(c.textualInversion().initializerFile());
	}
}
