package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.module.ModuleService;

/**
 * Train LoRA headless through SciJava's CommandService on the tiny model: the fields become the config keys the
 * CLI's {@code train-lora} flags give, a short pivotal-tuning run writes the kohya LoRA and the token's embedding,
 * and bad inputs end in one cancel reason that names the field, before the model is loaded.
 */
class TrainLoraCommandTest {

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
		dataset = TrainingFixtures.captionFolder(shared.resolve("data"), 3);
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
		m.put("trigger", "<my-cell>");
		m.put("replace_word", "cell");
		m.put("steps", 2);
		m.put("learning_rate", 1e-3);
		m.put("rank", 4);
		m.put("alpha", 2.0);
		m.put("resume", false);
		m.put("tokenizer_dir", null);
		m.put("config_file", null);
		m.put("dora", false);
		m.put("targets", "attention");
		m.put("target_pattern", "");
		m.put("text_encoder", false);
		m.put("text_encoder_rate", 0.0);
		m.put("train_token", false);
		m.put("token_init", "cell");
		m.put("caption_dropout", 0.0);
		m.put("shuffle_tags", false);
		m.put("keep_tags", 0);
		m.put("regularization", null);
		m.put("regularization_weight", 1.0);
		m.put("batch_size", 1);
		m.put("accumulation", 1);
		m.put("epochs", 0);
		m.put("resolution", 32);
		m.put("optimizer", "adamw");
		m.put("scheduler", "constant");
		m.put("warmup", 0);
		m.put("seed", 11L);
		m.put("mixed_precision", "no");
		m.put("gradient_checkpointing", false);
		m.put("validation_prompts", "");
		m.put("validation_every", 0);
		m.put("checkpoint_every", 0);
		m.put("output_name", "");
		m.put("settings", "");
		return m;
	}

	static CommandModule run(Map<String, Object> inputs) throws Exception {
		return commands.run(TrainLoraCommand.class, true, inputs).get(5, TimeUnit.MINUTES);
	}

	static TrainConfig config(Map<String, Object> inputs) throws Exception {
		CommandModule m = (CommandModule) context.service(ModuleService.class)
			.createModule(commands.getCommand(TrainLoraCommand.class));
		inputs.forEach(m::setInput);
		TrainOptions o = ((TrainLoraCommand) m.getCommand()).options();
		return o.resolve(TrainConfig.Method.LORA, TrainingRun.names(TrainConfig.Method.LORA)).config();
	}

	@Test
	void fieldsBecomeTheConfigKeys() throws Exception {
		Path reg = TrainingFixtures.captionFolder(tmp.resolve("reg"), 1);
		Map<String, Object> in = inputs(tmp.resolve("run"));
		in.put("dora", true);
		in.put("targets", "extended");
		in.put("text_encoder", true);
		in.put("text_encoder_rate", 5e-5);
		in.put("train_token", true);
		in.put("token_init", "nucleus");
		in.put("caption_dropout", 0.1);
		in.put("shuffle_tags", true);
		in.put("keep_tags", 1);
		in.put("regularization", reg.toFile());
		in.put("regularization_weight", 0.5);
		in.put("settings", "lora.conv_rank=2; lora.conv_alpha=1\nlora.bundle_embedding=true");
		TrainConfig c = config(in);
		assertEquals(TrainConfig.Method.LORA, c.method());
		assertEquals(4, c.lora().rank());
		assertEquals(2.0, c.lora().alpha());
		assertTrue(c.lora().dora());
		assertEquals("extended", c.lora().targets());
		assertTrue(c.lora().textEncoder());
		assertEquals(5e-5, c.optimizer().textEncoderLearningRate());
		assertEquals(1e-3, c.optimizer().learningRate());
		assertEquals("<my-cell>", c.captions().trigger());
		assertEquals("cell", c.captions().replaceWord());
		assertEquals("<my-cell>", c.lora().token(), "pivotal tuning trains the trigger as a new token");
		assertEquals("nucleus", c.lora().tokenInitializer());
		assertEquals(0.1, c.captions().dropout());
		assertTrue(c.captions().shuffleTags());
		assertEquals(1, c.captions().keepTags());
		assertEquals(reg.toAbsolutePath().toString(), c.data().regularizationDataset());
		assertEquals(0.5, c.data().regularizationWeight());
		assertEquals(2, c.lora().convRank(), "settings reach the keys the dialog does not show");
		assertEquals(1.0, c.lora().convAlpha());
		assertTrue(c.lora().bundleEmbedding());
		assertEquals(List.of(), c.validation().prompts());
		assertEquals(0, c.validation().everySteps());

		in = inputs(tmp.resolve("run"));
		in.put("target_pattern", " attn2\\.to_(k|v)$ ");
		in.put("replace_word", "");
		c = config(in);
		assertEquals("attn2\\.to_(k|v)$", c.lora().targets(), "a pattern replaces the preset");
		assertNull(c.captions().replaceWord());
		assertNull(c.optimizer().textEncoderLearningRate(), "0 = the same learning rate");
		assertNull(c.lora().token());
		assertEquals("my-cell-lora", c.resultName());
	}

	@Test
	void trainsAKohyaLoraWithItsNewToken() throws Exception {
		Path run = tmp.resolve("run");
		Map<String, Object> in = inputs(run);
		in.put("train_token", true);
		in.put("output_name", "cells-r4");
		CommandModule m = run(in);
		assertFalse(m.isCanceled(), m.getCancelReason());
		Path lora = run.resolve("cells-r4.safetensors").toAbsolutePath().normalize();
		assertEquals(lora.toString(), m.getOutput("result_file"));
		assertEquals(run.toAbsolutePath().normalize().toString(), m.getOutput("run_folder"));
		assertNull(m.getOutput("validation"), "no validation prompts, no stack");
		try (SafetensorsFile f = SafetensorsFile.open(lora)) {
			assertEquals("stable-diffusion-v1/lora", f.metadata().get("modelspec.architecture"));
			assertEquals("4", f.metadata().get("ss_network_dim"));
			assertEquals("2.0", f.metadata().get("ss_network_alpha"));
			assertEquals("2", f.metadata().get("ss_steps"));
			assertEquals("11", f.metadata().get("ss_seed"));
			assertTrue(f.names().stream().allMatch(n -> n.startsWith("lora_unet_")), "UNet adapters only");
		}
		assertTrue(Files.isRegularFile(run.resolve("my-cell.safetensors")), "the new token's embedding beside it");
		TrainConfig written = TrainConfig.read(run.resolve("config.json"));
		assertEquals("<my-cell>", written.lora().token());
		assertEquals(4, written.lora().rank());
	}

	@Test
	void aCancelIsQuietAndLeavesACheckpointThatResumes() throws Exception {
		Path run = tmp.resolve("run");
		Map<String, Object> in = inputs(run);
		in.put("steps", 500);
		CommandModule m = (CommandModule) context.service(ModuleService.class)
			.createModule(commands.getCommand(TrainLoraCommand.class));
		var f = context.service(ModuleService.class).run(m, true, in);
		long deadline = System.currentTimeMillis() + 120_000;
		while (TrainTextualInversionCommandTest.stepLinesOrZero(run) < 2 && System.currentTimeMillis() < deadline)
			Thread.sleep(20);
		m.cancel(""); // Cancel in Fiji's progress bar or the window, or Esc, end the same way: the command's cancel
		f.get(2, TimeUnit.MINUTES);
		assertTrue(m.isCanceled());
		assertEquals("", m.getCancelReason(), "quiet: no dialog");
		assertEquals(run.toAbsolutePath().normalize().toString(), TrainingRun.lastRunFolder());
		assertEquals("", TrainingRun.lastResultFile(), "a cancelled run has no result yet");
		List<Path> checkpoints;
		try (var s = Files.list(run.resolve("checkpoints"))) {
			checkpoints = s.toList();
		}
		assertEquals(1, checkpoints.size(), "the checkpoint of the cancel: " + checkpoints);
		int at = Integer.parseInt(checkpoints.get(0).getFileName().toString().replaceAll("\\D", ""));
		assertTrue(at >= 2 && at < 500, "cancelled at step " + at);

		Map<String, Object> resume = inputs(run);
		resume.put("resume", true);
		resume.put("steps", at + 1);
		CommandModule resumed = run(resume);
		assertFalse(resumed.isCanceled(), resumed.getCancelReason());
		try (SafetensorsFile lora = SafetensorsFile.open(run.resolve("my-cell-lora.safetensors"))) {
			assertEquals(Integer.toString(at + 1), lora.metadata().get("ss_steps"));
		}
	}

	static String error(Map<String, Object> in) throws Exception {
		CommandModule m = run(in);
		assertTrue(m.isCanceled(), "expected an error");
		assertFalse(m.getCancelReason() == null || m.getCancelReason().isBlank());
		return m.getCancelReason();
	}

	@Test
	void badInputsNameTheField() throws Exception {
		Path run = tmp.resolve("run");
		Map<String, Object> in = inputs(run);
		in.put("train_token", true);
		in.put("trigger", " ");
		TrainTextualInversionCommandTest.assertContains(error(in), "train_token needs a trigger word (trigger)");

		in = inputs(run);
		in.put("target_pattern", "attn(");
		TrainTextualInversionCommandTest.assertContains(error(in), "targets: ",
			"lora.targets is neither attention, extended nor a valid regular expression");

		in = inputs(run);
		in.put("regularization", tmp.resolve("no-reg").toFile());
		TrainTextualInversionCommandTest.assertContains(error(in), "regularization ", "no-reg: no such file or folder");

		in = inputs(run);
		in.put("alpha", 0.0);
		TrainTextualInversionCommandTest.assertContains(error(in), "alpha: ", "lora.alpha must be a number in");

		in = inputs(run);
		in.put("dataset", Files.createDirectories(tmp.resolve("empty-dataset")).toFile());
		String e = error(in);
		assertTrue(e.contains("empty-dataset"), "the dataset is named: " + e);
		assertFalse(Files.exists(run.resolve("config.json")), "nothing was trained");
	}
}
