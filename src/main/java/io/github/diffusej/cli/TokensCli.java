package io.github.diffusej.cli;

import io.github.diffusej.generate.GenerationRequest;
import io.github.diffusej.generate.PromptCheck;
import io.github.diffusej.generate.RequestStrings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusej tokens}: how a model's tokenizer splits a prompt and which trigger tokens it recognises. */
@Command(name = "tokens", mixinStandardHelpOptions = true, sortOptions = false,
	description = "Show how a prompt is tokenized: the count against the 75-token window, words split into several " +
		"pieces, and which trigger tokens of the embeddings were recognised. Only the tokenizer is read.",
	footer = {"", ExitCodes.HELP})
final class TokensCli extends Subcommand {

	@Option(names = "--model", required = true, paramLabel = "DIR|FILE",
		description = "a diffusers folder (its tokenizer/ is used) or a single .safetensors checkpoint")
	Path model;

	@Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the prompt")
	String prompt;

	@Option(names = "--embedding", paramLabel = "FILE[:TOKEN]", description = "a textual-inversion file; repeatable")
	List<String> embeddings = new ArrayList<>();

	@Option(names = "--tokenizer", paramLabel = "DIR", description = "tokenizer folder for single-file checkpoints")
	Path tokenizer;

	private final List<GenerationRequest.EmbeddingRef> refs = new ArrayList<>();

	@Override
	void validate() {
		existing("--model", model);
		existingFolder("--tokenizer", tokenizer);
		for (String spec : embeddings) refs.addAll(GenerateCli.refs("--embedding", () -> RequestStrings.embeddings(spec)));
		for (GenerationRequest.EmbeddingRef e : refs) GenerateCli.safetensors("--embedding", e.file());
	}

	@Override
	int execute() throws IOException {
		out().print(PromptCheck.analyse(model, tokenizer, prompt, refs).report());
		return ExitCodes.OK;
	}
}
