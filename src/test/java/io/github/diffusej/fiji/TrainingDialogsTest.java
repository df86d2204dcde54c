package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;
import org.scijava.service.Service;

/**
 * The short dialog of the training commands: its fields are the commands' own inputs, and applying it leaves the
 * advanced part to the command's dialog only when asked for (otherwise no second dialog opens).
 */
class TrainingDialogsTest {

	static Context context;

	@BeforeAll
	static void start() {
		context = new Context();
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	static Module module(Class<?> command) {
		return context.service(ModuleService.class).createModule(context.service(CommandService.class)
			.getCommand(command.getName()));
	}

	@Test
	void theShortFieldsAreTheCommandsInputs() {
		for (Class<?> c : List.of(TrainTextualInversionCommand.class, TrainLoraCommand.class)) {
			List<String> fields = TrainingDialogs.shortFields(c.getName());
			assertNotNull(fields, c.getName());
			Module m = module(c);
			List<String> keys = MacroKeysTest.names(MacroKeysTest.keys(c));
			assertEquals(keys.subList(0, fields.size()), fields, c.getSimpleName() + ": the short fields come first");
			for (String f : fields) {
				ModuleItem<?> item = m.getInfo().getInput(f);
				assertTrue(item.isRequired() || item.getType() == String.class, c.getSimpleName() + "." + f
					+ ": an optional path would persist a blank");
			}
			for (String f : List.of("model", "dataset", "run_dir", "steps", "learning_rate", "resume"))
				assertTrue(fields.contains(f), c.getSimpleName() + " asks for " + f + " first");
		}
		assertTrue(TrainingDialogs.shortFields(TrainLoraCommand.class.getName()).containsAll(List.of("rank", "alpha",
			"trigger")));
		assertTrue(TrainingDialogs.shortFields(TrainTextualInversionCommand.class.getName()).containsAll(List.of("token",
			"init")));
		assertNull(TrainingDialogs.shortFields(GenerateImagesCommand.class.getName()));
	}

	@Test
	void withoutTheAdvancedPartNoSecondDialogOpens() {
		Map<String, Object> values = new LinkedHashMap<>();
		values.put("model", new File("/models/sd15"));
		values.put("steps", 200);
		values.put("rank", 16);
		Module m = module(TrainLoraCommand.class);
		TrainingDialogs.apply(m, values, false);
		assertEquals(16, m.getInput("rank"));
		assertEquals(new File("/models/sd15"), m.getInput("model"));
		for (ModuleItem<?> item : m.getInfo().inputs())
			if (!Service.class.isAssignableFrom(item.getType()))
				assertTrue(m.isInputResolved(item.getName()), item.getName() + " would be asked for");

		m = module(TrainLoraCommand.class);
		TrainingDialogs.apply(m, values, true);
		assertTrue(m.isInputResolved("rank"));
		for (String advanced : List.of("dora", "targets", "batch_size", "validation_prompts", "settings", "config_file"))
			assertFalse(m.isInputResolved(advanced), advanced + " is in the advanced dialog");
	}

	@Test
	void learningRatesShowAllTheirDigits() {
		assertEquals(4, TrainingDialogs.decimals(1e-4));
		assertEquals(3, TrainingDialogs.decimals(5e-3));
		assertEquals(6, TrainingDialogs.decimals(1.5e-5));
		assertEquals(1, TrainingDialogs.decimals(1));
	}
}
