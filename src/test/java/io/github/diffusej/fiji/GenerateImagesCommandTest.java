package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.generate.Grid;
import io.github.diffusej.generate.PngWithText;
import io.github.diffusej.io.SafetensorsWriter;
import io.github.diffusej.schedule.SamplerKind;
import io.github.diffusej.testutil.Golden;
import ij.ImagePlus;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
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
import org.scijava.plugin.Parameter;

/** Generate Images run headless through SciJava's CommandService on tiny-sd1 (32x32, a few steps). */
class GenerateImagesCommandTest {

	static Context context;
	static CommandService commands;

	@TempDir
	Path tmp;

	@BeforeAll
	static void start() {
		context = new Context();
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		if (context != null) context.dispose();
	}

	/** Every input, as a macro would pass them; tests override what they vary. */
	static Map<String, Object> inputs() {
		Map<String, Object> m = new HashMap<>();
		m.put("model", Golden.tinySd1Model().toFile());
		m.put("tokenizer_dir", null);
		m.put("prompt", "a photo of a cat");
		m.put("negative", "blurry");
		m.put("steps", 4);
		m.put("guidance_scale", 5.0);
		m.put("sampler", "DDIM");
		m.put("seed", 42L);
		m.put("width", 32);
		m.put("height", 32);
		m.put("prediction_type", "auto (from the model)");
		m.put("number_of_images", 2);
		m.put("clip_skip", 1);
		m.put("long_prompts", "chunk");
		m.put("loras", "");
		m.put("embeddings", "");
		m.put("grid", "none");
		m.put("lora_weights", "0,1");
		m.put("output_dir", null);
		return m;
	}

	static CommandModule run(Map<String, Object> inputs) throws Exception {
		return commands.run(GenerateImagesCommand.class, true, inputs).get(5, TimeUnit.MINUTES);
	}

	static int[] pixels(ImagePlus imp, int slice) {
		return (int[]) imp.getStack().getProcessor(slice).getPixels();
	}

	@Test
	void stackHasSlicesSizeLabelsAndInfoAndIsReproducible() throws Exception {
		List<StatusEvent> events = Collections.synchronizedList(new ArrayList<>());
		Object spy = new Object() {

			@EventHandler
			void onStatus(StatusEvent e) {
				events.add(e);
			}
		};
		context.service(EventService.class).subscribe(spy);
		CommandModule m = run(inputs());
		assertFalse(m.isCanceled(), m.getCancelReason());
		ImagePlus imp = (ImagePlus) m.getOutput("result");
		assertEquals(2, imp.getStackSize());
		assertEquals(32, imp.getWidth());
		assertEquals(32, imp.getHeight());
		assertEquals(ImagePlus.COLOR_RGB, imp.getType());
		assertEquals("seed 42: a photo of a cat", imp.getStack().getSliceLabel(1));
		assertEquals("seed 43: a photo of a cat", imp.getStack().getSliceLabel(2));
		String info = (String) imp.getProperty("Info");
		assertTrue(info.contains("steps = 4") && info.contains("negative_prompt = blurry") && info.contains("Seed: 43"), info);
		assertTrue(imp.getTitle().contains("seed 42"), imp.getTitle());
		assertNull(m.getOutput("montage"));
		assertTrue(events.stream().anyMatch(e -> e.getProgressMaximum() == 8 && e.getProgressValue() == 4),
			"progress per denoising step (2 images x 4 steps)");

		CommandModule again = run(inputs());
		ImagePlus imp2 = (ImagePlus) again.getOutput("result");
		assertArrayEquals(pixels(imp, 1), pixels(imp2, 1), "same seed, same pixels");
		assertArrayEquals(pixels(imp, 2), pixels(imp2, 2));
		assertFalse(Arrays.equals(pixels(imp, 1), pixels(imp, 2)));
	}

	@Test
	void randomSeedIsReported() throws Exception {
		Map<String, Object> in = inputs();
		in.put("seed", -1L);
		in.put("number_of_images", 1);
		in.put("tokenizer_dir", new java.io.File("")); // a macro's tokenizer_dir=[] output_dir=[]
		in.put("output_dir", new java.io.File(""));
		ImagePlus imp = (ImagePlus) run(in).getOutput("result");
		String label = imp.getStack().getSliceLabel(1);
		assertTrue(label.matches("seed \\d+: a photo of a cat"), label);
	}

	@Test
	void pngsAreSavedWithSettings() throws Exception {
		Map<String, Object> in = inputs();
		in.put("output_dir", tmp.resolve("out").toFile());
		CommandModule m = run(in);
		assertFalse(m.isCanceled(), m.getCancelReason());
		List<Path> pngs = list(tmp.resolve("out"));
		assertEquals(2, pngs.size(), pngs.toString());
		Map<String, String> text = PngWithText.readText(pngs.get(0));
		assertEquals("42", text.get("diffusej:seed"));
		assertTrue(text.get("parameters").contains("Steps: 4, Sampler: DDIM"), text.get("parameters"));
		BufferedImage png = ImageIO.read(pngs.get(1).toFile());
		int[] slice = pixels((ImagePlus) m.getOutput("result"), 2);
		for (int i = 0; i < slice.length; i++) assertEquals(slice[i] & 0xFFFFFF, png.getRGB(i % 32, i / 32) & 0xFFFFFF);
	}

	@Test
	void gridsGiveRowMajorStacksAndMontages() throws Exception {
		Map<String, Object> in = inputs();
		in.put("grid", "seeds x prompts");
		in.put("prompt", "a photo of a cat|a red dog|a photo of a cat");
		CommandModule m = run(in);
		assertFalse(m.isCanceled(), m.getCancelReason());
		ImagePlus imp = (ImagePlus) m.getOutput("result");
		assertEquals(6, imp.getStackSize());
		assertEquals("seed 42: a red dog", imp.getStack().getSliceLabel(2));
		assertEquals("seed 43: a photo of a cat", imp.getStack().getSliceLabel(4));
		assertArrayEquals(pixels(imp, 1), pixels(imp, 3), "same seed + prompt in two cells");
		ImagePlus montage = (ImagePlus) m.getOutput("montage");
		assertTrue(montage.getWidth() >= 3 * 32, "3 columns");
		assertTrue(montage.getHeight() >= 2 * 32);

		in = inputs();
		in.put("grid", "seeds x lora weights");
		in.put("loras", Golden.vectors("lora_kohya.safetensors") + ":1");
		in.put("lora_weights", "0, 1");
		in.put("number_of_images", 1);
		m = run(in);
		assertFalse(m.isCanceled(), m.getCancelReason());
		imp = (ImagePlus) m.getOutput("result");
		assertEquals(2, imp.getStackSize());
		assertTrue(imp.getStack().getSliceLabel(2).endsWith("[lora_kohya @ 1]"), imp.getStack().getSliceLabel(2));
		assertFalse(Arrays.equals(pixels(imp, 1), pixels(imp, 2)), "LoRA weights change the image");
	}

	@Test
	void cancelLeavesOnlyFinishedPngs() throws Exception {
		Path out = tmp.resolve("cancelled");
		Map<String, Object> in = inputs();
		in.put("output_dir", out.toFile());
		in.put("number_of_images", 500);
		in.put("steps", 10);
		CommandModule m = (CommandModule) context.service(ModuleService.class)
			.createModule(commands.getCommand(GenerateImagesCommand.class));
		Future<?> f = context.service(ModuleService.class).run(m, true, in);
		long deadline = System.currentTimeMillis() + 120_000;
		while (list(out).isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(20);
		m.cancel("stopped by the test");
		f.get(2, TimeUnit.MINUTES);
		assertTrue(m.isCanceled());
		assertEquals("stopped by the test", m.getCancelReason());
		assertNull(m.getOutput("result"));
		try (Stream<Path> s = Files.list(out)) {
			List<Path> all = s.toList();
			assertFalse(all.isEmpty());
			assertTrue(all.size() < 500, all.size() + " files");
			for (Path p : all) {
				assertTrue(p.getFileName().toString().matches("diffusej-.*-\\d{4}-\\d+\\.png"), "stray file " + p);
				BufferedImage img = ImageIO.read(p.toFile());
				assertNotNull(img, p + " is a complete PNG");
				assertEquals(32, img.getWidth());
			}
		}
	}

	@Test
	void anInterruptIsAQuietCancel() throws Exception {
		Path out = tmp.resolve("interrupted");
		Map<String, Object> in = inputs();
		in.put("output_dir", out.toFile());
		in.put("number_of_images", 500);
		CommandModule m = (CommandModule) context.service(ModuleService.class)
			.createModule(commands.getCommand(GenerateImagesCommand.class));
		Future<?> f = context.service(ModuleService.class).run(m, true, in);
		long deadline = System.currentTimeMillis() + 120_000;
		while (list(out).isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(20);
		f.cancel(true); // as Esc or the status bar's stop does: interrupt the command's thread
		while (!m.isCanceled() && System.currentTimeMillis() < deadline) Thread.sleep(20);
		assertTrue(m.isCanceled());
		assertEquals("", m.getCancelReason(), "no reason, so Fiji shows no dialog for a cancel the user asked for");
	}

	@Test
	void badInputsCancelWithClearReasons() throws Exception {
		Map<String, Object> in = inputs();
		in.put("model", tmp.resolve("no-such-model").toFile());
		assertCancelled(in, "no-such-model: no such file or folder");

		Path wrongWidth = tmp.resolve("sd-width-320.safetensors");
		String stem = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
		new SafetensorsWriter().putFloats(stem + ".lora_down.weight", new long[] {4, 320}, new float[4 * 320])
			.putFloats(stem + ".lora_up.weight", new long[] {320, 4}, new float[320 * 4]).write(wrongWidth);
		in = inputs();
		in.put("loras", wrongWidth + ":0.7");
		assertCancelled(in, "does not fit this base model");

		Path nan = tmp.resolve("nan.safetensors");
		float[] down = new float[4 * 32];
		down[5] = Float.NaN;
		new SafetensorsWriter().putFloats(stem + ".lora_down.weight", new long[] {4, 32}, down)
			.putFloats(stem + ".lora_up.weight", new long[] {32, 4}, new float[32 * 4]).write(nan);
		in = inputs();
		in.put("loras", nan.toString());
		assertCancelled(in, "contains NaN or infinite values");

		in = inputs();
		in.put("loras", Golden.vectors("lora_kohya.safetensors") + ":NaN");
		assertCancelled(in, "not a finite number");

		in = inputs();
		in.put("width", 30);
		in.put("height", 30);
		assertCancelled(in, "multiples of 16");

		in = inputs();
		in.put("steps", 0);
		assertCancelled(in, "steps must be 1..1000, not 0");

		in = inputs();
		in.put("grid", "seeds x lora weights");
		assertCancelled(in, "needs a LoRA");

		in = inputs();
		in.put("embeddings", tmp.resolve("missing.safetensors") + ":<x>");
		assertCancelled(in, "embedding file not found");

		in = inputs();
		in.put("prompt", null);
		assertCancelled(in, "'prompt' is required but unset");

		in = inputs();
		in.put("seed", -2L);
		assertCancelled(in, "seed must be -1 (random) or >= 0, not -2");

		in = inputs();
		in.put("seed", Long.MAX_VALUE);
		assertCancelled(in, "would pass the largest seed");
	}

	static void assertCancelled(Map<String, Object> inputs, String reasonPart) throws Exception {
		CommandModule m = run(inputs);
		assertTrue(m.isCanceled(), "expected a cancel with '" + reasonPart + "'");
		String reason = m.getCancelReason();
		assertNotNull(reason);
		assertTrue(reason.contains(reasonPart), "reason '" + reason + "' should contain '" + reasonPart + "'");
		assertNull(m.getOutput("result"));
	}

	@Test
	void choicesMatchTheCore() throws Exception {
		assertEquals(SamplerKind.labels(), choices("sampler"));
		assertEquals(Arrays.stream(Grid.Kind.values()).map(Grid.Kind::label).toList(), choices("grid"));
		assertEquals(List.of("chunk", "truncate"), choices("long_prompts"));
	}

	static List<String> choices(String field) throws NoSuchFieldException {
		return List.of(GenerateImagesCommand.class.getDeclaredField(field).getAnnotation(Parameter.class).choices());
	}

	static List<Path> list(Path dir) throws java.io.IOException {
		if (!Files.isDirectory(dir)) return List.of();
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
		}
	}
}
