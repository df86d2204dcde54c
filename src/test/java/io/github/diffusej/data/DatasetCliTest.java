package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.io.FileSaver;
import ij.io.RoiEncoder;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.diffusej.cli.DatasetCli;

class DatasetCliTest {

	@TempDir
	Path tmp;

	private record Run(int code, String out, String err) {}

	private static Run run(String... args) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		int code = DatasetCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
			new PrintStream(err, true, StandardCharsets.UTF_8));
		return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	@Test
	void buildCheckShow() throws Exception {
		Path in = Files.createDirectories(tmp.resolve("in"));
		ImagePlus hs = Synthetic.hyperstack("stack", 96, 96, 1, 3, 1);
		new FileSaver(hs).saveAsTiffStack(in.resolve("stack.tif").toString());
		Synthetic.savePng(Synthetic.rgb(120, 100, 5), in.resolve("photo.png"));
		Roi roi = new Roi(10, 10, 40, 40);
		RoiEncoder.save(roi, tmp.resolve("cell.roi").toString());
		Path out = tmp.resolve("ds");
		Run r = run("build", "--out", out.toString(), "--sizing", "roi-crops", "--resolution", "32", "--masks",
			"--rois", tmp.resolve("cell.roi").toString(), "--token", "sks", "--caption-template", "{token} {title} z{z}",
			"--formats", "invoke-jsonl,caption-dir", "--licence", "CC-BY-4.0", "--check", "ti", in.toString());
		assertEquals(0, r.code(), r.err());
		assertTrue(r.out().contains("4 training and 0 validation items"), r.out());
		assertTrue(r.out().contains("Dataset check:"), r.out());
		assertTrue(r.err().contains("[100%]"), r.err());
		Dataset ds = DatasetReader.read(out);
		assertEquals(List.of("sks photo z1", "sks stack z1", "sks stack z2", "sks stack z3"),
			ds.items().stream().map(DatasetItem::caption).toList());
		assertTrue(ds.items().stream().allMatch(DatasetItem::hasMask));
		assertEquals("CC-BY-4.0", ds.manifest().sources().get(0).licence());

		Run check = run("check", out.toString(), "--method", "lora", "--token", "sks", "--resolution", "32");
		assertEquals(4, check.code(), check.out()); // too few for LoRA is an error: exit 4
		assertTrue(check.out().contains("ERROR TOO_FEW_IMAGES"), check.out());

		Run show = run("show", out.resolve("train/data.jsonl").toString());
		assertEquals(0, show.code(), show.err());
		assertEquals(5, show.out().lines().count());
		assertTrue(show.out().contains("train\t" + out.resolve("train/00001.png").toAbsolutePath()), show.out());

		Run again = run("build", "--out", out.toString(), in.toString());
		assertEquals(2, again.code(), "refused before reading any image");
		assertTrue(again.err().contains("holds a dataset already") && again.err().contains("--if-exists"), again.err());
		assertEquals(1, again.err().lines().count(), again.err());
	}

	@Test
	void usageErrors() {
		assertEquals(2, run().code());
		Run help = run("build", "--help");
		assertEquals(0, help.code());
		assertTrue(help.out().contains("--tile-overlap=PX"), help.out());
		Run noOut = run("build", tmp.toString());
		assertEquals(2, noOut.code());
		assertTrue(noOut.err().contains("--out is required"), noOut.err());
		Run badOpt = run("build", "--out", tmp.resolve("x").toString(), "--sizing", "squash", tmp.toString());
		assertEquals(2, badOpt.code());
		assertTrue(badOpt.err().contains("Unknown SizingMode 'squash'; known: resize-crop, tile, roi-crops, keep"),
			badOpt.err());
		Run unknown = run("build", "--out", tmp.resolve("x").toString(), "--colour", "red", tmp.toString());
		assertTrue(unknown.err().contains("unknown option '--colour'"), unknown.err());
		Run columns = run("show", tmp.toString(), "--image-column", "path");
		assertEquals(2, columns.code());
		Run missing = run("show", tmp.resolve("nothing.jsonl").toString());
		assertEquals(2, missing.code(), "a path that does not exist is a bad command line");
		assertTrue(missing.err().contains("nothing.jsonl: no such file or folder"), missing.err());
	}
}
