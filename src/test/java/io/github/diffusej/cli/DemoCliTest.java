package io.github.diffusej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.PngWithText;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, on the bundled example and the tiny model, with few steps: the run folder holds the
 * dataset, both training runs, the previews and a page whose every link and image exists in the folder.
 */
class DemoCliTest {

	@TempDir
	Path tmp;

	private static final Pattern LINK = Pattern.compile("(?:src|href)=\"([^\"]*)\"");

	@Test
	void demoTrainsBothMethodsAndWritesASelfContainedPage() throws Exception {
		Path out = tmp.resolve("demo out"); // a space: links must be encoded
		ByteArrayOutputStream stdout = new ByteArrayOutputStream();
		int code = Main.run(new String[] {"demo", "--out", out.toString(), "--example", "examples/cells.tif", "--steps",
			"3", "--sample-steps", "2", "--prompt", "a fluorescent micrograph of <my-cell> nuclei"},
			new PrintStream(stdout, true, StandardCharsets.UTF_8), System.err);
		String printed = stdout.toString(StandardCharsets.UTF_8);
		assertEquals(0, code, printed);
		assertTrue(printed.contains("report: " + out.toAbsolutePath().normalize().resolve("index.html")), printed);

		for (String f : List.of("dataset/dataset.json", "tiny-model/model_index.json", "ti/config.json", "ti/loss.csv",
			"ti/loss.png", "ti/my-cell.safetensors", "lora/config.json", "lora/loss.csv", "lora/loss.png",
			"lora/my-cell-lora.safetensors", "previews/base-grid.png", "previews/ti-grid.png", "previews/lora-grid.png",
			"index.html"))
			assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing");
		for (String run : List.of("ti", "lora")) {
			List<Path> steps = list(out.resolve(run).resolve("validation"));
			assertEquals(4, steps.size(), run + ": validation at steps 0, 1, 2 and 3: " + steps);
			for (Path s : steps) assertEquals(2, list(s).size(), s + ": one image per validation seed");
		}

		// The same prompt and seed before and after; the trained results change the pixels.
		for (String variant : List.of("ti", "lora"))
			for (String cell : List.of("0000-1", "0001-2")) {
				Path before = out.resolve("previews/base-" + cell + ".png"), after = out.resolve("previews/" + variant + "-"
					+ cell + ".png");
				Map<String, String> b = PngWithText.readText(before), a = PngWithText.readText(after);
				assertEquals(b.get("diffusej:prompt"), a.get("diffusej:prompt"));
				assertEquals(b.get("diffusej:seed"), a.get("diffusej:seed"));
				assertNotEquals(pixels(before), pixels(after), variant + " " + cell + ": the after-preview equals the "
					+ "before-preview");
			}

		String html = Files.readString(out.resolve("index.html"));
		assertTrue(html.contains("random weights"), "the page says the tiny model is random");
		assertFalse(html.contains("<my-cell>"), "the trigger is escaped everywhere");
		assertTrue(html.contains("&lt;my-cell&gt;"));
		assertFalse(Pattern.compile("(?i)(src|href)=\"(https?:|//|file:|/)").matcher(html).find(), "no external or "
			+ "absolute references");
		assertFalse(html.contains("<script"), "no script");
		List<String> links = new ArrayList<>();
		Matcher m = LINK.matcher(html);
		while (m.find()) links.add(m.group(1));
		for (String must : List.of("ti/loss.png", "lora/loss.png", "lora/my-cell-lora.safetensors", "ti/my-cell.safetensors",
			"previews/base-0000-1.png", "previews/lora-0000-1.png", "lora/validation/step_00000003/prompt_00-0000-2.png"))
			assertTrue(links.contains(must), must + " not shown on the page: " + links);
		for (String link : links) {
			Path target = out.resolve(URLDecoder.decode(link, StandardCharsets.UTF_8)).normalize();
			assertTrue(target.startsWith(out), link + " points outside the run folder");
			assertTrue(Files.isRegularFile(target), link + " -> " + target + " does not exist");
		}

		// A second run into the same folder is refused before anything loads, naming the way out.
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		assertEquals(ExitCodes.USAGE, Main.run(new String[] {"demo", "--out", out.toString()}, System.out,
			new PrintStream(err, true, StandardCharsets.UTF_8)));
		assertTrue(err.toString(StandardCharsets.UTF_8).contains("--overwrite"), err.toString(StandardCharsets.UTF_8));
	}

	@Test
	void badOptionsAreRefusedBeforeAnythingIsWritten() {
		Path out = tmp.resolve("never");
		for (String[] bad : new String[][] {{"--steps", "0"}, {"--example", "no/such.tif"}, {"--model", "no/such/model"},
			{"--sample-steps", "0"}, {"--prompt", " "}, {"--prompt", "nuclei without the token"}, {"--seed", "-2"}}) {
			List<String> args = new ArrayList<>(List.of("demo", "--out", out.toString()));
			args.addAll(List.of(bad));
			assertEquals(ExitCodes.USAGE, Main.run(args.toArray(new String[0]), System.out, System.err), String.join(" ", bad));
		}
		assertFalse(Files.exists(out.resolve("dataset")));
	}

	private static List<Path> list(Path dir) throws Exception {
		try (Stream<Path> s = Files.list(dir)) {
			return s.sorted().toList();
		}
	}

	private static List<Integer> pixels(Path png) throws Exception {
		BufferedImage im = ImageIO.read(png.toFile());
		List<Integer> px = new ArrayList<>();
		for (int y = 0; y < im.getHeight(); y++)
			for (int x = 0; x < im.getWidth(); x++) px.add(im.getRGB(x, y));
		return px;
	}
}
