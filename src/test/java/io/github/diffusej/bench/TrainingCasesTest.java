package io.github.diffusej.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.train.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The benchmark's training rows run through the training core on the tiny model (the times themselves are the
 * benchmark's business, never a test's).
 */
class TrainingCasesTest {

	@Test
	void rowsAreTheIssuesTrainingRowsWithTheirReferences() {
		List<String> full = BenchCases.all(false).stream().map(BenchCase::name).toList();
		for (String px : new String[] {"256", "512"})
			for (String m : new String[] {"ti", "lora"}) {
				assertTrue(full.contains(m + "-" + px), m + "-" + px);
				assertTrue(full.contains(m + "-" + px + "-ckpt"), m + "-" + px + "-ckpt");
			}
		assertFalse(full.stream().anyMatch(n -> n.startsWith("loop-")), "the 500-step loop is a tiny-model row");
		BenchCase.Reference r256 = BenchCases.named("lora-256", false).reference();
		BenchCase.Reference r512 = BenchCases.named("lora-512-ckpt", false).reference();
		assertEquals(13.9, r256.seconds());
		assertEquals(4.5, r256.peakRssGb());
		assertEquals(63, r512.seconds());
		assertEquals(10.05, r512.peakRssGb());
		assertNull(BenchCases.named("lora-32", true).reference());
		BenchCase loop = BenchCases.named("loop-lora-500", true);
		assertEquals(TrainingCases.LOOP_HEAP, loop.fixedHeap());
	}

	@ParameterizedTest(name = "{0}, checkpointing {1}")
	@CsvSource({"TEXTUAL_INVERSION, false", "TEXTUAL_INVERSION, true", "LORA, false", "LORA, true"})
	void aStepRowTrainsThroughTheCore(TrainConfig.Method method, boolean checkpointing) throws Exception {
		try (BenchContext c = new BenchContext(BenchContext.TINY, Device.cpu(), DataType.FLOAT32, -1, -1)) {
			// the row itself fails when the step's loss is not finite or its gradients do not reach the trainables
			BenchCase.Outcome o = TrainingCases.step(c, 0, 2, 32, method, checkpointing);
			assertEquals(2, o.seconds().size());
			assertEquals(2, c.cpuSeconds().size());
			String note = String.join("; ", c.notes());
			assertTrue(note.contains(method == TrainConfig.Method.LORA ? "frozen text encoder"
				: "backward through the text encoder"), note);
			assertEquals(checkpointing, note.contains("gradient checkpointing"), note);
			assertEquals(checkpointing, c.pipeline().unet().gradientCheckpointing(), "the row runs the model as its config says");
		}
	}

	@Test
	void theLoopRowRunsTheTrainerAndRecordsRss() throws Exception {
		try (BenchContext c = new BenchContext(BenchContext.TINY, Device.cpu(), DataType.FLOAT32, -1, -1)) {
			BenchCase.Outcome o = TrainingCases.loop(c, TrainConfig.Method.LORA, 8, 3);
			assertEquals(5, o.seconds().size(), "seconds of the steps after the baseline");
			assertNotNull(c.metrics().get("rssAfterStep3Bytes"));
			assertTrue(c.metrics().get("rssAfterStep8Bytes") > 0);
			assertTrue(Double.isFinite(c.metrics().get("rssGrowthPercent")));
			assertTrue(c.setupRss() > 0);
		}
	}
}
