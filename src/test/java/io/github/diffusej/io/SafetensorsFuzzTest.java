package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.diffusej.export.EmbeddingFile;
import io.github.diffusej.model.Embedding;
import io.github.diffusej.model.TinyModel;
import io.github.diffusej.testutil.ForkedJvm;
import io.github.diffusej.testutil.TestLora;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mutation fuzz of issue 10, in a child JVM ({@link SafetensorsFuzz}) so that a native abort fails this test
 * instead of killing the runner: deterministic mutants of the tiny model's three weight files, a kohya LoRA (with
 * a DoRA layer) and an embedding. Every mutant must be refused with the project's own exception naming the file,
 * or be valid by the format's rules and load; no other exception, no Error, no JVM death, and the child runs
 * within a 384 MB heap.
 */
class SafetensorsFuzzTest {

	static final long SEED = 20_240_610L;
	static final int PER_TARGET = 70;

	@TempDir
	Path tmp;

	@Test
	void mutantsAreRefusedByNameOrValid() throws Exception {
		Path model = TinyModel.write(tmp.resolve("tiny"), 5);
		Path lora = tmp.resolve("lora.safetensors");
		TestLora.write(lora);
		Path emb = tmp.resolve("my-cell.safetensors");
		float[][] v = new float[2][32];
		Random r = new Random(1);
		for (float[] row : v) for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian() * 0.02f;
		EmbeddingFile.write(emb, new Embedding("<my-cell>", v, "fuzz"), EmbeddingFile.Layout.EMB_PARAMS,
			"stable-diffusion-v1", null);

		// one engine thread: the tensors are tiny, and the child should not compete with the test runner
		ForkedJvm.Result res = ForkedJvm.run(SafetensorsFuzz.class, 384, 900, List.of("-Dai.djl.pytorch.num_threads=1"),
			model.toString(), lora.toString(),
			emb.toString(), tmp.resolve("work").toString(), Long.toString(SEED), Integer.toString(PER_TARGET));
		List<String> out = res.output();
		String last = out.stream().filter(l -> l.startsWith("START")).reduce((a, b) -> b).orElse("(none)");
		if (res.exitCode() != 0) fail("the fuzz JVM " + (res.timedOut() ? "timed out" : "died with exit code " +
			res.exitCode()) + " during mutant " + last.substring(Math.min(6, last.length())) + "\n" + res.tail(30));
		List<String> failures = out.stream().filter(l -> l.startsWith("MUTANT") && l.contains(" FAIL ")).toList();
		String summary = out.stream().filter(l -> l.startsWith("SUMMARY")).findFirst().orElse("no summary");
		System.out.println("fuzz: " + summary + String.format(" (child JVM %.1f s)", res.seconds()));
		assertTrue(failures.isEmpty(), failures.size() + " mutants failed:\n" + String.join("\n",
			failures.subList(0, Math.min(20, failures.size()))));
		assertTrue(out.contains("DONE"), res.tail(20));
		long mutants = out.stream().filter(l -> l.startsWith("MUTANT")).count();
		assertEquals(5L * PER_TARGET, mutants);
		// both outcomes occur for every target: the fuzz reaches the loaders, not only the header check
		assertTrue(out.stream().anyMatch(l -> l.contains(" MANY_ENTRIES REFUSED_BY_BOUND ") && l.contains("header too large")),
			"a header of 100,000+ entries is refused by its size");
		for (String t : List.of("UNET", "VAE", "TEXT_ENCODER", "LORA", "EMBEDDING")) {
			assertTrue(out.stream().anyMatch(l -> l.startsWith("MUTANT " + t + " ") && l.contains(" ACCEPTED")), t);
			assertTrue(out.stream().anyMatch(l -> l.startsWith("MUTANT " + t + " ") && l.contains(" REFUSED")), t);
		}
	}
}
