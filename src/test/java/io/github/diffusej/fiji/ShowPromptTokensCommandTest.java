package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.diffusej.testutil.Golden;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

class ShowPromptTokensCommandTest {

	static Context context;

	@BeforeAll
	static void start() {
		context = new Context();
	}

	@AfterAll
	static void stop() {
		if (context != null) context.dispose();
	}

	static CommandModule run(Path model, String prompt, String embeddings) throws Exception {
		Map<String, Object> in = new HashMap<>();
		in.put("model", model.toFile());
		in.put("tokenizer_dir", null);
		in.put("prompt", prompt);
		in.put("embeddings", embeddings);
		return context.service(CommandService.class).run(ShowPromptTokensCommand.class, true, in).get(1, TimeUnit.MINUTES);
	}

	@Test
	void reportsTheEmbeddingTrigger() throws Exception {
		String emb = Golden.vectors("learned_embeds_diffusers.safetensors").toString();
		CommandModule m = run(Golden.tinySd1Model(), "a microscope image of <my-cell>, <My-Cell>", emb);
		assertFalse(m.isCanceled(), m.getCancelReason());
		String report = (String) m.getOutput("report");
		assertTrue(report.contains("Recognised trigger tokens: <my-cell>"), report);
		assertTrue(report.contains("[<my-cell>]"), report);
		assertTrue(report.contains("'<My-Cell>' is not the trigger '<my-cell>': triggers are case sensitive"), report);

		m = run(Golden.tinySd1Model(), "a microscope image of <my-cell>", "");
		report = (String) m.getOutput("report");
		assertTrue(report.contains("Recognised trigger tokens: none"), report);
		assertTrue(report.contains("no loaded embedding defines it"), report);
	}

	@Test
	void missingModelCancelsWithReason() throws Exception {
		CommandModule m = run(Path.of("/nonexistent/diffusej-model"), "a cell", "");
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("/nonexistent/diffusej-model: no such file or folder"), m.getCancelReason());
	}
}
