package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandService;
import org.scijava.module.Module;
import org.scijava.module.ModuleService;

/**
 * The first step of Build Captioned Dataset: the chosen modes leave out the fields they do not use (the main
 * dialog shows only the open inputs), and headless or macro runs leave every optional input at its default.
 */
class BuildDatasetModesTest {

	static Context context;

	@BeforeAll
	static void start() {
		context = new Context();
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	static Module module() {
		return context.service(ModuleService.class).createModule(context.service(CommandService.class)
			.getCommand(BuildDatasetCommand.class));
	}

	@Test
	void unusedInputsFollowTheModes() {
		assertEquals(Set.of("image", "tile_overlap", "min_tile_std", "max_background", "rois", "masks"),
			BuildDatasetCommand.unusedInputs("folder", "resize-crop", "template").stream()
				.filter(n -> !n.equals("folder") && !n.equals("recursive")).collect(java.util.stream.Collectors.toSet()));
		Set<String> tiles = BuildDatasetCommand.unusedInputs("current image", "tile", "template");
		assertTrue(tiles.containsAll(List.of("folder", "recursive")) && !tiles.contains("tile_overlap") &&
			!tiles.contains("rois"), tiles.toString());
		assertTrue(BuildDatasetCommand.unusedInputs("all open images", "keep", "slice-label")
			.containsAll(List.of("image", "caption_template", "tile_overlap")));
	}

	@Test
	void applyingTheModesLeavesOnlyTheUsedFieldsOpen() {
		Module m = module();
		BuildDatasetModes.apply(m, new String[] {"folder", "tile", "slice-label"});
		assertEquals("folder", m.getInput("input"));
		assertEquals("tile", m.getInput("sizing"));
		for (String given : List.of("input", "sizing", "caption_source", "image", "rois", "masks", "caption_template"))
			assertTrue(m.isInputResolved(given), given);
		for (String open : List.of("folder", "recursive", "tile_overlap", "min_tile_std", "max_background", "token",
			"caption_prefix", "image_source", "out_dir"))
			assertFalse(m.isInputResolved(open), open + " stays in the dialog");
	}

	@Test
	void headlessOptionalInputsKeepTheirDefaults() {
		Module m = module();
		MacroInputsPreprocessor.resolveOptional(m);
		for (String optional : List.of("image", "folder", "channels", "token", "image_source", "caption_prefix"))
			assertTrue(m.isInputResolved(optional), optional);
		for (String required : List.of("input", "sizing", "resolution", "out_dir"))
			assertFalse(m.isInputResolved(required), required + " is still asked for");
	}
}
