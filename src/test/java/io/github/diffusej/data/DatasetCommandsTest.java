package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.log.LogLevel;
import org.scijava.log.LogService;

import io.github.diffusej.fiji.BuildDatasetCommand;
import io.github.diffusej.fiji.CheckDatasetCommand;
import io.github.diffusej.fiji.EditDatasetCaptionsCommand;
import io.github.diffusej.fiji.OpenDatasetAsStackCommand;
import io.github.diffusej.fiji.SaveStackCaptionsCommand;

/** The Fiji commands, run headless through CommandService with their macro (field) names. */
class DatasetCommandsTest {

	static Context ctx;
	static CommandService commands;

	@TempDir
	Path tmp;

	@BeforeAll
	static void context() {
		ctx = new Context();
		// the failure cases below log their (expected) errors; the assertions check the messages instead
		ctx.service(LogService.class).setLevel(LogLevel.NONE);
		commands = ctx.service(CommandService.class);
	}

	@AfterAll
	static void close() {
		ctx.dispose();
	}

	private CommandModule build(Object... extra) throws InterruptedException, ExecutionException {
		Object[] base = {"input", "current image", "folder", null, "recursive", false, "formats", "invoke-jsonl",
			"if_exists", "refuse", "planes", "all", "channels", "", "slices", "", "frames", "",
			"normalization", "per-stack", "saturation", 0.35, "sizing", "keep", "resolution", 64, "tile_overlap", 16,
			"min_tile_std", 2.0, "max_background", 0.95, "rois", "none", "masks", false, "token", "<cells>",
			"caption_template", "{token} c{c} z{z} t{t}", "caption_prefix", "", "caption_source", "template",
			"remove_duplicates", false, "near_duplicate_distance", 4, "validation_fraction", 0.0, "seed", 42L,
			"image_source", "synthetic", "licence", "CC0-1.0", "attribution", "test", "check_for", "textual-inversion"};
		Object[] all = new Object[base.length + extra.length];
		System.arraycopy(base, 0, all, 0, base.length);
		System.arraycopy(extra, 0, all, base.length, extra.length);
		return commands.run(BuildDatasetCommand.class, true, all).get();
	}

	@Test
	void buildFromAnImageThenCheck() throws Exception {
		ImagePlus hs = Synthetic.hyperstack("hs", 64, 64, 2, 2, 1);
		File out = tmp.resolve("ds").toFile();
		CommandModule m = build("image", hs, "out_dir", out);
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(out.getAbsolutePath(), m.getOutput("dataset_path"));
		String report = (String) m.getOutput("report");
		assertTrue(report.contains("4 training and 0 validation items"), report);
		assertTrue(report.contains("Dataset check:"), report);
		Dataset ds = DatasetReader.read(out.toPath());
		assertEquals(List.of("<cells> c1 z1 t1", "<cells> c2 z1 t1", "<cells> c1 z2 t1", "<cells> c2 z2 t1"),
			ds.items().stream().map(DatasetItem::caption).toList());
		assertEquals("CC0-1.0", ds.manifest().sources().get(0).licence());

		CommandModule check = commands.run(CheckDatasetCommand.class, true, "dataset", out, "method", "lora",
			"token", "<cells>", "resolution", 64).get();
		assertFalse(check.isCanceled(), check.getCancelReason());
		assertTrue(((String) check.getOutput("report")).contains("TOO_FEW_IMAGES"), (String) check.getOutput("report"));

		// a second build into the same folder is refused and says why
		CommandModule again = build("image", hs, "out_dir", out);
		assertTrue(again.isCanceled());
		assertTrue(again.getCancelReason().contains("holds a dataset already"), again.getCancelReason());
		// adding the same planes again with duplicate removal adds nothing, and says so
		CommandModule dup = build("image", hs, "out_dir", out, "if_exists", "add", "remove_duplicates", true);
		assertTrue(dup.isCanceled());
		assertTrue(dup.getCancelReason().contains("4 duplicates were removed"), dup.getCancelReason());
		assertEquals(4, DatasetReader.read(out.toPath()).items().size());
		// adding new planes works
		ImagePlus more = Synthetic.hyperstack("more", 64, 64, 1, 1, 2);
		CommandModule add = build("image", more, "out_dir", out, "if_exists", "add");
		assertFalse(add.isCanceled(), add.getCancelReason());
		assertEquals(6, DatasetReader.read(out.toPath()).items().size());
	}

	@Test
	void buildFromAFolderAndBadOptions() throws Exception {
		Path in = Files.createDirectories(tmp.resolve("in"));
		for (int i = 0; i < 3; i++) Synthetic.savePng(Synthetic.rgb(80, 60, i), in.resolve("img" + i + ".png"));
		File out = tmp.resolve("ds").toFile();
		CommandModule m = build("input", "folder", "image", null, "folder", in.toFile(), "out_dir", out,
			"sizing", "resize-crop", "caption_template", "{file}", "formats", "all");
		assertFalse(m.isCanceled(), m.getCancelReason());
		Dataset ds = DatasetReader.read(out.toPath());
		assertEquals(List.of("img0.png", "img1.png", "img2.png"), ds.items().stream().map(DatasetItem::caption).toList());
		assertTrue(Files.isRegularFile(out.toPath().resolve("train/metadata.jsonl")));
		assertTrue(Files.isRegularFile(out.toPath().resolve("train/00001.txt")));

		CommandModule bad = build("image", new ImagePlus("x", Synthetic.gray8(8, 8, 1)), "out_dir",
			tmp.resolve("bad").toFile(), "caption_template", "{nope}");
		assertTrue(bad.isCanceled());
		assertTrue(bad.getCancelReason().contains("unknown field {nope}"), bad.getCancelReason());
		assertFalse(Files.exists(tmp.resolve("bad")));
	}

	@Test
	void openAsStackEditLabelsAndSave() throws Exception {
		ImagePlus hs = Synthetic.hyperstack("hs", 32, 32, 1, 3, 1);
		File out = tmp.resolve("ds").toFile();
		assertFalse(build("image", hs, "out_dir", out).isCanceled());
		CommandModule open = commands.run(OpenDatasetAsStackCommand.class, true, "dataset", out).get();
		assertFalse(open.isCanceled(), open.getCancelReason());
		ImagePlus stack = (ImagePlus) open.getOutput("stack");
		assertEquals(3, stack.getStackSize());
		assertEquals("<cells> c1 z2 t1", stack.getStack().getSliceLabel(2));
		stack.getStack().setSliceLabel("<cells> in focus", 2);
		CommandModule save = commands.run(SaveStackCaptionsCommand.class, true, "stack", stack).get();
		assertFalse(save.isCanceled(), save.getCancelReason());
		assertEquals("<cells> in focus", DatasetReader.read(out.toPath()).items().get(1).caption());
		CommandModule edit = commands.run(EditDatasetCaptionsCommand.class, true, "dataset", out).get();
		assertTrue(edit.isCanceled());
		assertTrue(edit.getCancelReason().contains("needs a display"), edit.getCancelReason());
		CommandModule wrong = commands.run(SaveStackCaptionsCommand.class, true, "stack", hs).get();
		assertTrue(wrong.isCanceled());
		assertTrue(wrong.getCancelReason().contains("not opened with Open Dataset as Stack"), wrong.getCancelReason());
	}
}
