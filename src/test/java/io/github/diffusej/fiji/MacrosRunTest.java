package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ij.ImagePlus;
import ij.gui.Roi;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.io.RoiEncoder;
import ij.process.ColorProcessor;
import io.github.diffusej.ProgressListener;
import io.github.diffusej.data.BuildReport;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetBuildRequest;
import io.github.diffusej.data.DatasetBuilder;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.data.DatasetManifest;
import io.github.diffusej.data.DatasetOptions;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.data.ImageSource;
import io.github.diffusej.export.LoraFile;
import io.github.diffusej.export.LoraLayer;
import io.github.diffusej.fiji.bridge.MacroRunner;
import io.github.diffusej.generate.PngWithText;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.train.TrainConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every macro in {@code macros/} runs in ImageJ 1.x's own macro interpreter (a separate JVM under Xvfb, as the
 * interpreter needs a display), its {@code run("...", options)} calls reaching DiffuseJ's SciJava commands through
 * {@link io.github.diffusej.fiji.bridge.LegacyBridge} with every input resolved by {@code Macro.getValue} as
 * imagej-legacy does; a dialog that would open mid-macro fails it. Then the outputs are checked: dataset files and
 * their provenance, masks, formats, edited captions, generated PNGs and LoRA grids, and the training macros' run
 * folders (config, loss, validation images, embedding and LoRA files) with a grid for each LoRA they trained, on
 * the tiny model.
 */
class MacrosRunTest {

	@TempDir
	static Path tmp;

	static String output;
	static int exitCode;
	static final Map<String, Path> OUT = new LinkedHashMap<>();

	@BeforeAll
	static void runEveryMacro() throws Exception {
		Path model = TinyModel.write(tmp.resolve("model"), 1);
		Path cells = Path.of("examples/cells.tif").toAbsolutePath();
		Path folder = Files.createDirectories(tmp.resolve("images"));
		Files.copy(cells, folder.resolve("cells.tif"));
		ImagePlus second = new ImagePlus("second", new ColorProcessor(96, 80));
		((ColorProcessor) second.getProcessor()).setColor(new java.awt.Color(200, 120, 40));
		second.getProcessor().fillOval(10, 10, 60, 50);
		new FileSaver(second).saveAsPng(folder.resolve("second.png").toString());
		Path tiffs = Files.createDirectories(tmp.resolve("tiffs"));
		Files.copy(cells, tiffs.resolve("a.tif"));
		Files.copy(cells, tiffs.resolve("b.tiff"));
		Files.writeString(tiffs.resolve("notes.txt"), "not an image");
		Path rois = tmp.resolve("RoiSet.zip");
		try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(rois))) {
			int n = 0;
			for (Roi r : new Roi[] {new Roi(20, 30, 50, 40), new ij.gui.OvalRoi(100, 90, 60, 60)}) {
				r.setName("cell-" + ++n);
				z.putNextEntry(new ZipEntry(r.getName() + ".roi"));
				z.write(RoiEncoder.saveAsByteArray(r));
				z.closeEntry();
			}
		}
		Path editable = editableDataset(tmp.resolve("to-edit"));
		Path loras = Files.createDirectories(tmp.resolve("loras"));
		writeLora(model, loras.resolve("cells-r4.safetensors"), 4, 1);
		writeLora(model, loras.resolve("cells-r8.safetensors"), 8, 2);

		for (String name : List.of("open-stack", "folder", "every-tiff", "roi", "mosaic", "generated", "grids", "ti",
			"ranks", "trained-grids"))
			OUT.put(name, tmp.resolve("out-" + name));
		List<String> args = new ArrayList<>(List.of(
			macro("dataset_from_open_stack.ijm"), cells + "," + OUT.get("open-stack"),
			macro("dataset_from_folder.ijm"), folder + "," + OUT.get("folder"),
			macro("dataset_from_every_tiff.ijm"), tiffs + "," + OUT.get("every-tiff"),
			macro("dataset_roi_crops_with_masks.ijm"), cells + "," + rois + "," + OUT.get("roi"),
			macro("dataset_tiles_from_mosaic.ijm"), cells + "," + OUT.get("mosaic") + ",64,0",
			macro("dataset_edit_captions_as_stack.ijm"), editable.toString(),
			macro("generate_images.ijm"), model + "," + OUT.get("generated") + ",32,2",
			macro("generate_lora_grids.ijm"), model + "," + loras + "," + OUT.get("grids") + ",32,2",
			macro("show_prompt_tokens.ijm"), model.toString(),
			// training on the dataset every-tiff made: 3 steps at 32 px, validation images at steps 0, 2 and 3
			macro("train_textual_inversion.ijm"), model + "," + OUT.get("every-tiff") + "," + OUT.get("ti")
				+ ",3,32,2,validation.steps=2",
			macro("train_lora_ranks.ijm"), model + "," + OUT.get("every-tiff") + "," + OUT.get("ranks")
				+ ",2 4,2,32,validation.steps=2",
			macro("generate_lora_grids.ijm"), model + "," + OUT.get("ranks").resolve("loras") + ","
				+ OUT.get("trained-grids") + ",32,2"));
		List<String> cmd = new ArrayList<>();
		cmd.addAll(List.of("timeout", "600"));
		if (System.getenv("DISPLAY") == null) {
			if (!onPath("xvfb-run")) fail("the macro tests need a display: install xvfb (apt-get install xvfb) or set DISPLAY");
			cmd.addAll(List.of("xvfb-run", "-a"));
		}
		cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
			"-Dai.djl.offline=true", "-Djava.util.prefs.userRoot=" + tmp.resolve("prefs"),
			"-Duser.home=" + tmp.resolve("home"), "-cp", System.getProperty("java.class.path"),
			MacroRunner.class.getName()));
		cmd.addAll(args);
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		p.getOutputStream().close();
		output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertTrue(p.waitFor(11, TimeUnit.MINUTES));
		exitCode = p.exitValue();
		System.out.println(output);
	}

	static String macro(String name) {
		return Path.of("macros", name).toAbsolutePath().toString();
	}

	static boolean onPath(String exe) {
		for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
			if (Files.isExecutable(Path.of(dir, exe))) return true;
		return false;
	}

	/** A dataset whose captions hold the trigger and the word "cell", for the caption-edit macro. */
	static Path editableDataset(Path out) throws IOException {
		DatasetOptions o = new DatasetOptions();
		o.set("sizing", "tile");
		o.set("resolution", "64");
		o.set("tile_overlap", "0");
		o.set("token", "<my-cell>");
		o.set("caption_template", "a micrograph of {token}, one cell, z {z}");
		ImagePlus imp = new Opener().openImage("examples/cells.tif");
		List<ImageSource> sources = List.of(ImageSource.of(imp));
		BuildReport r = DatasetBuilder.build(new DatasetBuildRequest(o.withProvenance(sources), out, o.formatList(),
			o.existingPolicy(), o.settings()), ProgressListener.NONE);
		return r.outputDir();
	}

	/** A kohya LoRA on the tiny model's first self-attention query, with shapes read from the model's weights. */
	static void writeLora(Path model, Path file, int rank, long seed) throws IOException {
		String module = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q";
		long[] w;
		try (SafetensorsFile f = SafetensorsFile.open(model.resolve("unet/diffusion_pytorch_model.safetensors"))) {
			w = f.info(module + ".weight").shape();
		}
		java.util.Random rnd = new java.util.Random(seed);
		float[] down = new float[(int) (rank * w[1])], up = new float[(int) (w[0] * rank)];
		for (int i = 0; i < down.length; i++) down[i] = (float) rnd.nextGaussian();
		for (int i = 0; i < up.length; i++) up[i] = (float) rnd.nextGaussian();
		LoraFile.writeKohya(file, List.of(new LoraLayer("unet", module, down, new long[] {rank, w[1]}, up,
			new long[] {w[0], rank}, rank, null, null)), Map.of());
	}

	static String section(String macro) {
		return section(macro, "");
	}

	/** The output of the first run of {@code macro} whose argument starts with {@code arg}. */
	static String section(String macro, String arg) {
		int a = output.indexOf("### running " + Path.of("macros", macro).toAbsolutePath() + " (" + arg);
		int b = output.indexOf("### running", a + 1);
		return a < 0 ? "" : output.substring(a, b < 0 ? output.length() : b);
	}

	static void assertMacroOk(String macro) {
		assertMacroOk(macro, "");
	}

	static void assertMacroOk(String macro, String arg) {
		String s = section(macro, arg);
		assertFalse(s.isEmpty(), macro + " did not run:\n" + output);
		assertTrue(s.contains("### " + Path.of("macros", macro).toAbsolutePath() + " OK"), macro + ":\n" + s);
	}

	static List<DatasetItem> all(Dataset d) {
		List<DatasetItem> items = new ArrayList<>(d.items());
		items.addAll(d.validation());
		return items;
	}

	@Test
	void allMacrosRanWithoutADialog() {
		assertFalse(output.contains("a dialog opened"), output);
		assertFalse(output.contains("BRIDGE FAILURE"), output);
		assertEquals(0, exitCode, output);
	}

	@Test
	void datasetFromOpenStackRecordsItsProvenance() throws IOException {
		assertMacroOk("dataset_from_open_stack.ijm");
		Dataset d = DatasetReader.read(OUT.get("open-stack"));
		assertEquals(4, all(d).size());
		for (DatasetItem it : all(d)) assertTrue(it.caption().startsWith("a fluorescence microscopy image of <my-cell>, "),
			it.caption());
		DatasetManifest.Source s = d.manifest().sources().get(0);
		// "source=" used to be read from inside "caption_source=template"
		assertEquals("our confocal, 2026", s.source());
		assertEquals("CC-BY-4.0", s.licence());
		assertEquals("Imaging facility", s.attribution());
		assertEquals(512, ImageIO.read(all(d).get(0).image().toFile()).getWidth());
	}

	@Test
	void datasetFromFolderTakesEveryImage() throws IOException {
		assertMacroOk("dataset_from_folder.ijm");
		Dataset d = DatasetReader.read(OUT.get("folder"));
		List<String> files = d.manifest().sources().stream().map(s -> Path.of(s.file()).getFileName().toString()).toList();
		assertTrue(files.contains("cells.tif") && files.contains("second.png"), files.toString());
		assertTrue(d.manifest().sources().stream().allMatch(s -> s.source().startsWith("https://doi.org/")));
		assertTrue(all(d).stream().allMatch(i -> i.caption().startsWith("a brightfield image of <my-cell>, ")));
	}

	@Test
	void everyTiffIsAddedOneAtATime() throws IOException {
		assertMacroOk("dataset_from_every_tiff.ijm");
		Dataset d = DatasetReader.read(OUT.get("every-tiff"));
		List<String> sources = d.manifest().sources().stream().map(DatasetManifest.Source::source).toList();
		assertEquals(List.of("a.tif", "b.tiff"), sources, "one build per TIFF, the text file left out");
		assertEquals(2, d.manifest().builds().size());
		assertTrue(all(d).size() >= 2 * 4, all(d).size() + " tiles");
		assertTrue(section("dataset_from_every_tiff.ijm").contains("added 2 TIFF file(s)"));
		assertTrue(section("dataset_from_every_tiff.ijm").contains("Check Dataset report"), "the check ran");
	}

	@Test
	void roiCropsComeWithMasks() throws IOException {
		assertMacroOk("dataset_roi_crops_with_masks.ijm");
		Dataset d = DatasetReader.read(OUT.get("roi"));
		assertFalse(all(d).isEmpty());
		for (DatasetItem it : all(d)) {
			assertTrue(it.hasMask(), it.toString());
			assertTrue(it.caption().matches("<my-cell>, cell-[12]"), it.caption());
			assertEquals(256, ImageIO.read(it.mask().toFile()).getWidth());
		}
	}

	@Test
	void mosaicTilesAreWrittenInEveryFormat() throws IOException {
		assertMacroOk("dataset_tiles_from_mosaic.ijm");
		Path out = OUT.get("mosaic");
		assertTrue(Files.isRegularFile(out.resolve("train/data.jsonl")));
		assertTrue(Files.isRegularFile(out.resolve("train/metadata.jsonl")));
		try (Stream<Path> s = Files.list(out.resolve("train"))) {
			assertTrue(s.anyMatch(p -> p.toString().endsWith(".txt")), "caption files");
		}
		Dataset d = DatasetReader.read(out);
		assertTrue(all(d).stream().allMatch(i -> i.caption().startsWith("a stained tissue section with <my-cell>, tile at ")));
	}

	@Test
	void captionEditKeepsTheTrigger() throws IOException {
		assertMacroOk("dataset_edit_captions_as_stack.ijm");
		Dataset d = DatasetReader.read(tmp.resolve("to-edit"));
		assertFalse(all(d).isEmpty());
		for (DatasetItem it : all(d)) {
			assertTrue(it.caption().startsWith("a micrograph of <my-cell>, one cell nucleus, z "), it.caption());
			assertFalse(it.caption().contains("<my-cell nucleus>"), it.caption());
		}
		assertTrue(section("dataset_edit_captions_as_stack.ijm").contains("Check Dataset report"));
	}

	@Test
	void generateImagesSavesEveryImageWithItsSettings() throws IOException {
		assertMacroOk("generate_images.ijm");
		List<Path> pngs = pngs(OUT.get("generated"));
		assertEquals(4, pngs.size(), pngs.toString());
		Map<String, String> text = PngWithText.readText(pngs.get(0));
		assertEquals("42", text.get("diffusej:seed"));
		assertEquals("blurry, low quality, text, watermark", text.get("diffusej:negative_prompt"),
			"negative= reached the command");
		assertTrue(text.get("diffusej:prompt").contains("<my-cell>"));
		assertTrue(section("generate_images.ijm").contains("seed 45: fluorescence microscopy image of <my-cell>"),
			"the macro listed the slices");
	}

	@Test
	void aGridForEachLora() throws IOException {
		assertMacroOk("generate_lora_grids.ijm");
		for (String stem : List.of("cells-r4", "cells-r8")) {
			Path grid = OUT.get("grids").resolve(stem + "-grid.png");
			BufferedImage img = ImageIO.read(grid.toFile());
			assertNotNull(img, grid + " is a PNG");
			assertTrue(img.getWidth() > 3 * 128 && img.getHeight() > 4 * 128, img.getWidth() + "x" + img.getHeight());
			List<Path> cells = pngs(OUT.get("grids").resolve(stem));
			assertEquals(12, cells.size(), "4 seeds x 3 weights");
			assertTrue(PngWithText.readText(cells.get(cells.size() - 1)).get("parameters").contains("<lora:" + stem + ":1>"));
		}
	}

	@Test
	void textualInversionTrainsOnTheDatasetAMacroBuilt() throws IOException {
		assertMacroOk("train_textual_inversion.ijm");
		Path run = OUT.get("ti");
		TrainConfig c = TrainConfig.read(run.resolve("config.json"));
		assertEquals(TrainConfig.Method.TEXTUAL_INVERSION, c.method());
		assertEquals("<my-cell>", c.textualInversion().token());
		assertEquals("cell", c.textualInversion().initializer());
		assertEquals(3, c.steps());
		assertEquals(32, c.data().resolution());
		assertEquals(0.005, c.optimizer().learningRate(), "the macro's learning rate, passed as a string");
		assertFalse(c.gradientCheckpointing(), "\"false\" reached the command as false");
		assertEquals(2, c.validation().steps(), "otherSettings reached the config");
		assertEquals(List.of("a fluorescence micrograph of {token}", "{caption}"), c.validation().prompts());
		assertEquals(OUT.get("every-tiff").toAbsolutePath().toString(), c.dataset());
		assertEquals(3, stepLines(run));
		Path embedding = run.resolve("my-cell.safetensors");
		try (SafetensorsFile f = SafetensorsFile.open(embedding)) {
			assertEquals("stable-diffusion-v1/textual-inversion", f.metadata().get("modelspec.architecture"));
			assertEquals("<my-cell>", f.metadata().get("modelspec.trigger_phrase"));
		}
		assertTrue(Files.isRegularFile(run.resolve("learned_embeds.safetensors")));
		for (String step : List.of("00000000", "00000002", "00000003"))
			assertEquals(2, pngs(run.resolve("validation/step_" + step)).size(), "2 prompts at step " + step);
		assertTrue(section("train_textual_inversion.ijm").contains("embedding: " + embedding.toAbsolutePath().normalize()),
			"the macro read the result file: " + section("train_textual_inversion.ijm"));
	}

	@Test
	void oneLoraPerRankEachInItsOwnRunFolder() throws IOException {
		assertMacroOk("train_lora_ranks.ijm");
		for (int rank : new int[] {2, 4}) {
			Path run = OUT.get("ranks").resolve("rank-" + rank);
			TrainConfig c = TrainConfig.read(run.resolve("config.json"));
			assertEquals(TrainConfig.Method.LORA, c.method());
			assertEquals(rank, c.lora().rank());
			assertEquals(rank, c.lora().alpha(), "alpha = rank: scale 1");
			assertEquals("<my-cell>", c.captions().trigger());
			assertEquals(1e-4, c.optimizer().learningRate());
			assertEquals(2, stepLines(run));
			Path lora = run.resolve("my-cell-r" + rank + ".safetensors");
			try (SafetensorsFile f = SafetensorsFile.open(lora)) {
				assertEquals(Integer.toString(rank), f.metadata().get("ss_network_dim"));
				assertEquals("stable-diffusion-v1/lora", f.metadata().get("modelspec.architecture"));
			}
			Path copy = OUT.get("ranks").resolve("loras/my-cell-r" + rank + ".safetensors");
			assertArrayEquals(Files.readAllBytes(lora), Files.readAllBytes(copy), "the LoRA copied for the grids");
			assertEquals(1, pngs(run.resolve("validation/step_00000000")).size());
		}
		assertTrue(section("train_lora_ranks.ijm").contains("2 LoRA(s) in "), section("train_lora_ranks.ijm"));
	}

	@Test
	void aGridForEachTrainedLora() throws IOException {
		String arg = model() + "," + OUT.get("ranks").resolve("loras");
		assertMacroOk("generate_lora_grids.ijm", arg);
		assertTrue(section("generate_lora_grids.ijm", arg).contains("2 LoRA grid(s)"), section("generate_lora_grids.ijm", arg));
		for (String stem : List.of("my-cell-r2", "my-cell-r4")) {
			assertNotNull(ImageIO.read(OUT.get("trained-grids").resolve(stem + "-grid.png").toFile()), stem);
			List<Path> cells = pngs(OUT.get("trained-grids").resolve(stem));
			assertEquals(12, cells.size(), "4 seeds x 3 weights");
			assertTrue(PngWithText.readText(cells.get(cells.size() - 1)).get("parameters").contains("<lora:" + stem + ":1>"));
		}
	}

	static Path model() {
		return tmp.resolve("model");
	}

	static long stepLines(Path run) throws IOException {
		return Files.readAllLines(run.resolve("loss.csv"), StandardCharsets.UTF_8).stream().skip(1)
			.filter(l -> !l.matches("\\d+,,.*")).count();
	}

	@Test
	void promptTokensAreReported() {
		assertMacroOk("show_prompt_tokens.ijm");
		assertTrue(section("show_prompt_tokens.ijm").contains("tokens"), section("show_prompt_tokens.ijm"));
	}

	static List<Path> pngs(Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
		}
	}
}
