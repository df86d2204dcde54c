package io.github.diffusej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.PngWithText;
import io.github.diffusej.model.TinyModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user meets it: help everywhere, one-line errors with exit codes, every option checked
 * before the model loads, results on stdout and progress on stderr, and the real subcommands on the tiny model.
 */
class CliTest {

	@TempDir
	static Path shared;

	@TempDir
	Path tmp;

	static Path model;
	/** A model whose configs and file headers are fine but whose UNet weights are one stray tensor: loading fails. */
	static Path broken;

	record Run(int code, String out, String err) {

		List<String> errLines() {
			return err.lines().toList();
		}
	}

	static Run run(String... args) {
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
			new PrintStream(err, true, StandardCharsets.UTF_8));
		return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
	}

	@BeforeAll
	static void models() throws Exception {
		model = TinyModel.write(shared.resolve("tiny"), 1);
		broken = TinyModel.write(shared.resolve("broken"), 1);
		new io.github.diffusej.io.SafetensorsWriter().putFloats("not.a.unet.weight", new long[] {2}, new float[2])
			.write(broken.resolve("unet/diffusion_pytorch_model.safetensors"));
	}

	String[] generate(String... more) {
		return generateIn(tmp.resolve("out"), more);
	}

	static String[] generateIn(Path out, String... more) {
		List<String> a = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt", "a cell",
			"--width", "32", "--height", "32", "--steps", "2", "--sampler", "DDIM", "--seed", "7", "--out",
			out.toString()));
		a.addAll(List.of(more));
		return a.toArray(new String[0]);
	}

	@Test
	void everySubcommandHasHelpAnywhereOnTheLine() {
		for (String[] cmd : new String[][] {{}, {"demo"}, {"dataset"}, {"dataset", "build"}, {"dataset", "check"},
			{"dataset", "show"}, {"generate"}, {"tokens"}, {"bench"}, {"info"}, {"make-tiny-model"}})
			for (String help : new String[] {"--help", "-h"}) {
				List<String> a = new ArrayList<>(List.of(cmd));
				a.add(help);
				Run r = run(a.toArray(new String[0]));
				assertEquals(0, r.code(), a + ": " + r.err());
				assertTrue(r.out().startsWith("Usage: diffusej" + (cmd.length == 0 ? "" : " " + String.join(" ", cmd))),
					a + ": " + r.out());
				assertTrue(r.out().contains("Exit codes: 0 done"), a + " documents the exit codes");
			}
		Run late = run("generate", "--steps", "3", "--model", "x", "--help");
		assertEquals(0, late.code(), "--help after other options: " + late.err());
		assertTrue(late.out().contains("--lora=FILE[:WEIGHT]"));
	}

	@Test
	void wrongOptionsMissingValuesAndBadEnumsAreOneLineWithExitCode2() {
		Run r = run("generate", "--model", model.toString(), "--prompt", "x", "--stesp", "3");
		assertEquals(2, r.code());
		assertEquals(List.of("diffusej generate: unknown option '--stesp'; did you mean --steps or --sweep? (see " +
			"'diffusej generate --help')"), r.errLines());
		r = run("generate", "--stesp=3");
		assertTrue(r.err().startsWith("diffusej generate: unknown option '--stesp'"), "before 'is required': " + r.err());
		r = run("generate", "--model", model.toString(), "--prompt", "x", "--steps");
		assertEquals(2, r.code());
		assertEquals("diffusej generate: --steps needs a value (see 'diffusej generate --help')", r.err().strip());
		r = run("generate", "--model", model.toString(), "--prompt", "x", "--sampler", "Euler b");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("unknown sampler 'Euler b'; choose one of DDIM, Euler, Euler a, DPM++ 2M, " +
			"DPM++ 2M Karras, PLMS"), r.err());
		r = run("generate", "--model", model.toString(), "--prompt", "x", "--grid", "diagonal");
		assertTrue(r.err().contains("'diagonal' is not none, seeds-x-prompts or seeds-x-lora-weights"), r.err());
		r = run("generate", "--model", model.toString(), "--prompt", "x", "--steps", "many");
		assertTrue(r.err().contains("--steps: 'many' is not an int"), r.err());
		r = run("genrate");
		assertEquals(2, r.code());
		assertTrue(r.err().contains("unknown command 'genrate'; did you mean generate?"), r.err());
		r = run("generate", "--prompt", "x");
		assertEquals("diffusej generate: --model is required (see 'diffusej generate --help')", r.err().strip());
		r = run();
		assertEquals(2, r.code());
		assertEquals(2, run("dataset", "check", tmp.toString(), "--method", "painting").code());
		for (Run x : List.of(r)) assertFalse(x.err().contains("Exception"), x.err());
	}

	@Test
	void everythingIsCheckedBeforeTheModelLoads() throws Exception {
		// the broken model would fail when loaded (exit 3): each bad option is refused first (exit 2)
		String m = broken.toString();
		Run loads = run("generate", "--model", m, "--prompt", "x", "--width", "32", "--height", "32", "--out",
			tmp.resolve("a").toString());
		assertEquals(3, loads.code(), loads.err());
		assertTrue(loads.err().contains(broken.toString()) && loads.err().contains("unet"), "names the model: " + loads.err());
		assertEquals(1, loads.errLines().stream().filter(l -> l.startsWith("diffusej generate:")).count(), loads.err());
		for (String[] bad : new String[][] {{"--sampler", "Heun"}, {"--width", "30"}, {"--steps", "0"},
			{"--seed", "-5"}, {"--count", "0"}, {"--lora", tmp.resolve("none.safetensors") + ":1"},
			{"--lora", tmp.resolve("x.ckpt").toString()}, {"--grid", "seeds-x-lora-weights"},
			{"--seed", Long.toString(Long.MAX_VALUE), "--count", "2"}, {"--tokenizer", tmp.resolve("nope").toString()},
			{"--out", Files.writeString(tmp.resolve("file"), "").toString()}})
		{
			List<String> a = new ArrayList<>(List.of("generate", "--model", m, "--prompt", "x", "--width", "32",
				"--height", "32"));
			if (!List.of(bad).contains("--out")) a.addAll(List.of("--out", tmp.resolve("b").toString()));
			a.addAll(List.of(bad));
			if (bad[0].equals("--lora") && bad[1].endsWith(".ckpt")) Files.writeString(Path.of(bad[1]), "pickle");
			Run r = run(a.toArray(new String[0]));
			assertEquals(2, r.code(), List.of(bad) + ": " + r.err());
			assertEquals(1, r.errLines().size(), List.of(bad) + ": one line: " + r.err());
			assertFalse(r.err().contains("Loading"), "nothing loaded for " + List.of(bad));
		}
		Run notModel = run("generate", "--model", tmp.toString(), "--prompt", "x");
		assertEquals(3, notModel.code(), "an existing folder that is no model is a bad input file: " + notModel.err());
		assertTrue(notModel.err().contains("model_index.json is missing"), notModel.err());
	}

	@Test
	void generateSavesEachImageAndKeepsResultsOnStdout() throws Exception {
		Run r = run(generate("--count", "2", "--negative", "blurry"));
		assertEquals(0, r.code(), r.err());
		Path out = tmp.resolve("out");
		assertEquals(List.of("wrote " + out.resolve("image-0000-7.png"), "wrote " + out.resolve("image-0001-8.png")),
			r.out().lines().toList(), "stdout holds the results only");
		assertTrue(r.err().contains("[100%]"), "progress on stderr: " + r.err());
		assertFalse(r.err().contains("wrote "));
		Map<String, String> text = PngWithText.readText(out.resolve("image-0001-8.png"));
		assertEquals("8", text.get("diffusej:seed"));
		assertEquals("blurry", text.get("diffusej:negative_prompt"));

		Run again = run(generate("--count", "2"));
		assertEquals(2, again.code(), "an earlier run's images are not overwritten silently");
		assertTrue(again.err().contains("image-0000-7.png exists"), again.err());
		assertEquals(0, run(generate("--count", "2", "--overwrite")).code());
		assertEquals(0, run(generate("--count", "1", "--name", "second")).code());
		assertTrue(Files.exists(out.resolve("second-0000-7.png")));

		String[] g = generate("--grid", "seeds-x-prompts", "--count", "2", "--name", "g");
		g[4] = "a cell|two cells"; // the --prompt value
		Run grid = run(g);
		assertEquals(0, grid.code(), grid.err());
		assertTrue(Files.exists(out.resolve("g-grid.png")));
		assertEquals("a cell | two cells", PngWithText.readText(out.resolve("g-grid.png")).get("diffusej:columns"));
	}

	@Test
	void aSweepRunsOneCombinationPerIndex() throws Exception {
		Path sweep = Files.writeString(tmp.resolve("sweep.json"),
			"{\"seed\": [3, 4], \"guidance\": [2, 5.5], \"# note\": \"comments are keys starting with #\"}");
		Run list = run("generate", "--model", model.toString(), "--prompt", "x", "--sweep", sweep.toString());
		assertEquals(0, list.code(), list.err());
		assertEquals(List.of(sweep + ": 4 combinations (--index 0-3)", "0\t--seed=3 --guidance=2",
			"1\t--seed=3 --guidance=5.5", "2\t--seed=4 --guidance=2", "3\t--seed=4 --guidance=5.5"), list.out().lines().toList());
		String out = tmp.resolve("runs").resolve("task-{index}-seed{seed}").toString();
		Run r = run("generate", "--model", model.toString(), "--prompt", "x", "--width", "32", "--height", "32",
			"--steps", "2", "--sampler", "DDIM", "--out", out, "--sweep=" + sweep, "--index", "3");
		assertEquals(0, r.code(), r.err());
		Path png = tmp.resolve("runs/task-3-seed4/image-0000-4.png");
		assertTrue(Files.exists(png), r.out());
		assertEquals("5.5", PngWithText.readText(png).get("diffusej:guidance_scale"));
		assertTrue(r.err().contains("combination 3 of 0-3: --seed=4 --guidance=5.5"), r.err());

		Run range = run("generate", "--model", model.toString(), "--prompt", "x", "--sweep", sweep.toString(), "--index", "4");
		assertEquals(2, range.code());
		assertTrue(range.err().contains("--index 4 is out of range: " + sweep + " has 4 combinations (0-3)"), range.err());
		Run twice = run("generate", "--model", model.toString(), "--prompt", "x", "--seed", "1", "--sweep",
			sweep.toString(), "--index", "0");
		assertEquals(2, twice.code());
		assertTrue(twice.err().contains("--seed is given on the command line and swept in"), twice.err());
		Path typo = Files.writeString(tmp.resolve("typo.json"), "{\"seeds\": [1, 2]}");
		Run t = run("generate", "--model", model.toString(), "--prompt", "x", "--sweep", typo.toString(), "--index", "0");
		assertEquals(3, t.code());
		assertTrue(t.err().contains(typo + ": 'seeds' is not an option of diffusej generate"), t.err());
		Path lenient = Files.writeString(tmp.resolve("lenient.json"), "{seed: [1, 2]}");
		Run l = run("generate", "--model", model.toString(), "--prompt", "x", "--sweep", lenient.toString(), "--index", "0");
		assertEquals(3, l.code());
		assertTrue(l.err().contains(lenient + ": not a valid JSON sweep"), l.err());
		Run info = run("info", "--sweep", sweep.toString(), "--index", "0");
		assertEquals(2, info.code());
		assertTrue(info.err().contains("diffusej info does not take --sweep"), info.err());
	}

	@Test
	void interruptingARunKeepsFinishedImagesAndExits130() throws Exception {
		Path out = tmp.resolve("out");
		int[] code = {-1};
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		Thread t = new Thread(() -> code[0] = Main.run(generate("--count", "200"), new PrintStream(
			new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)));
		t.start();
		long deadline = System.currentTimeMillis() + 120_000;
		while (pngs(out).size() < 2 && System.currentTimeMillis() < deadline) Thread.sleep(20);
		t.interrupt();
		t.join(60_000);
		assertEquals(130, code[0], err.toString(StandardCharsets.UTF_8));
		String last = err.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElse("");
		assertTrue(last.startsWith("diffusej generate: interrupted") && last.endsWith("files finished so far are kept"), last);
		List<Path> kept = pngs(out);
		assertTrue(kept.size() >= 2 && kept.size() < 200, kept.size() + " images");
		for (Path p : kept) assertTrue(ImageIO.read(p.toFile()) != null, p + " is complete");
		assertTrue(hidden(out).isEmpty(), "no temporary file left: " + hidden(out));
	}

	@Test
	void aKilledJobKeepsItsFinishedImagesAndTheConsoleStaysClean() throws Exception {
		// a real process, as a cluster runs it: SIGTERM (wall time) is reported and exits; SIGKILL keeps the images
		for (boolean force : new boolean[] {false, true}) {
			Path out = tmp.resolve(force ? "killed" : "terminated");
			List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xmx1g", "-Dai.djl.offline=true", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
				Main.class.getName()));
			cmd.addAll(List.of(generateIn(out, "--count", "200")));
			Process p = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("stdout-" + force).toFile())
				.redirectError(tmp.resolve("stderr-" + force).toFile()).start();
			long deadline = System.currentTimeMillis() + 180_000;
			while (pngs(out).size() < 2 && p.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(50);
			if (force) p.destroyForcibly();
			else p.destroy();
			assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
			String stderr = Files.readString(tmp.resolve("stderr-" + force));
			List<Path> kept = pngs(out);
			assertTrue(kept.size() >= 2, kept + "\n" + stderr);
			for (Path png : kept) assertTrue(ImageIO.read(png.toFile()) != null, png + " is complete");
			assertFalse(stderr.contains("SLF4J"), "no SLF4J warnings: " + stderr);
			List<String> wrote = Files.readAllLines(tmp.resolve("stdout-" + force));
			assertTrue(wrote.size() >= kept.size() - 1, "each image was reported as it was saved: " + wrote);
			if (!force) {
				assertEquals(143, p.exitValue(), stderr);
				assertTrue(stderr.contains("diffusej generate: interrupted"), stderr);
				assertTrue(hidden(out).isEmpty(), "SIGTERM leaves no temporary file: " + hidden(out));
			}
		}
	}

	@Test
	void tokensInfoBenchAndTinyModel() throws Exception {
		Run tokens = run("tokens", "--model", model.toString(), "--prompt", "a photo of a cell");
		assertEquals(0, tokens.code(), tokens.err());
		assertTrue(tokens.out().contains("tokens"), tokens.out());
		Run info = run("info");
		assertEquals(0, info.code(), info.err());
		assertTrue(info.out().startsWith("DiffuseJ engine: PyTorch"), info.out());
		Run list = run("bench", "--list");
		assertEquals(0, list.code(), list.err());
		assertTrue(list.out().contains("tiny model:") && list.out().contains("text-encoder"), list.out());
		Path json = tmp.resolve("bench.json");
		Run bench = run("bench", "--model", "tiny", "--cases", "text-encoder", "--repeats", "1", "--warmups", "0",
			"--json", json.toString());
		assertEquals(0, bench.code(), bench.err());
		assertTrue(bench.out().contains("| model | case | runs |") && bench.out().contains("| tiny | CLIP text encoder"), bench.out());
		assertTrue(Files.size(json) > 0);
		assertEquals(2, run("bench", "--repeats", "0").code());
		assertEquals(2, run("bench", "--model", tmp.resolve("nope").toString()).code());
		Run tiny = run("make-tiny-model", "--out", tmp.resolve("t").toString(), "--seed", "2");
		assertEquals(0, tiny.code(), tiny.err());
		assertTrue(Files.exists(tmp.resolve("t/model_index.json")));
	}

	@Test
	void javaErrorsAreOneLineWithoutATraceUnlessDebugging() {
		for (Throwable t : new Throwable[] {new OutOfMemoryError("Java heap space"), new StackOverflowError(),
			new picocli.CommandLine.ExecutionException(Main.commandLine(new java.io.PrintWriter(System.out), new java.io.PrintWriter(System.err)), "x",
				new OutOfMemoryError("Direct buffer memory"))})
		{
			java.io.StringWriter sw = new java.io.StringWriter();
			int code = Main.report("diffusej generate", t, new java.io.PrintWriter(sw), false);
			assertEquals(ExitCodes.FAILED, code);
			List<String> lines = sw.toString().lines().toList();
			assertEquals(1, lines.size(), sw.toString());
			assertTrue(lines.get(0).startsWith("diffusej generate: out of memory (") ||
				lines.get(0).startsWith("diffusej generate: stack overflow"), lines.get(0));
		}
		java.io.StringWriter sw = new java.io.StringWriter();
		assertEquals(ExitCodes.FAILED, Main.report("diffusej x", new IllegalStateException("boom"),
			new java.io.PrintWriter(sw), true));
		assertTrue(sw.toString().lines().count() > 2 && sw.toString().contains("at io.github.diffusej"), "--debug: " + sw);
		sw = new java.io.StringWriter();
		Main.report("diffusej x", new IllegalStateException("boom"), new java.io.PrintWriter(sw), false);
		assertEquals("diffusej x: IllegalStateException: boom (--debug shows where)", sw.toString().strip());
	}

	static List<Path> pngs(Path dir) throws java.io.IOException {
		if (!Files.isDirectory(dir)) return List.of();
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.getFileName().toString().matches("image-\\d{4}-\\d+\\.png")).sorted().toList();
		}
	}

	static List<Path> hidden(Path dir) throws java.io.IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
		}
	}
}
