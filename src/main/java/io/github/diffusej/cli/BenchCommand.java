package io.github.diffusej.cli;

import io.github.diffusej.bench.BenchContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffusej bench}: the options of {@link BenchCli}, checked before anything is measured. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
	description = {"Measure speed and memory on this machine: text encoder, UNet, VAE decode, generation, and "
		+ "textual-inversion and LoRA training steps (with and without gradient checkpointing), and the memory of a "
		+ "500-step training run on the tiny model. Each case runs in "
		+ "its own JVM; the table shows min/median/max seconds, CPU seconds, peak RSS and GFLOP/s, and the rows are "
		+ "also written as JSON.",
		"Device and threads: -Ddiffusej.device=cpu|gpu -Ddiffusej.threads=N (DIFFUSEJ_JAVA_OPTS for bin/diffusej). "
			+ "On a shared machine set OMP_WAIT_POLICY=PASSIVE in the environment (see the README)."},
	footer = {"", ExitCodes.HELP})
final class BenchCommand extends Subcommand {

	@Option(names = "--model", paramLabel = "sd15|tiny|PATH",
		description = "sd15: an SD 1.5-size network with random weights made in memory from the bundled SD1 configs "
			+ "(no download); tiny: the tiny random model; or a diffusers folder / .safetensors checkpoint. "
			+ "Repeatable (default: sd15 and tiny)")
	List<String> models;

	@Option(names = "--cases", paramLabel = "LIST", split = ",",
		description = "cases to run, NAME or PREFIX* (default: all; --list shows them)")
	List<String> cases;

	@Option(names = "--list", description = "list the cases and exit")
	boolean list;

	@Option(names = "--repeats", paramLabel = "N", defaultValue = "-1",
		description = "timed runs per case (default: per case, 2-9)")
	int repeats;

	@Option(names = "--warmups", paramLabel = "N", defaultValue = "-1",
		description = "untimed runs before them (default: per case)")
	int warmups;

	@Option(names = "--json", paramLabel = "FILE", defaultValue = "diffusej-bench.json",
		description = "where the rows go as JSON (${DEFAULT-VALUE})")
	Path json;

	@Option(names = "--max-rss-gb", paramLabel = "G",
		description = "stop a case whose resident memory passes G GB (default: 85%% of what is available, at most 22)")
	Double maxRssGb;

	@Option(names = "--heap", paramLabel = "SIZE", defaultValue = "2g",
		description = "-Xmx of the case processes (${DEFAULT-VALUE}; tensors live outside the Java heap)")
	String heap;

	@Override
	void validate() {
		if (models != null) for (String m : models)
			if (!m.equals(BenchContext.SD15) && !m.equals(BenchContext.TINY) && !Files.exists(Path.of(m)))
				throw CliException.usage("--model " + m + ": not sd15, tiny or an existing file or folder");
		if (repeats != -1) inRange("--repeats", repeats, 1, 1000);
		if (warmups != -1) inRange("--warmups", warmups, 0, 1000);
		if (maxRssGb != null && !(maxRssGb > 0.1 && maxRssGb < 10_000)) throw CliException.usage("--max-rss-gb " + maxRssGb
			+ ": give a size in GB between 0.1 and 10000");
		if (!heap.matches("[0-9]+[kKmMgG]?")) throw CliException.usage("--heap " + heap + ": give a JVM size such as 2g or 512m");
		Path parent = json.toAbsolutePath().getParent();
		if (parent != null && !Files.isDirectory(parent)) throw CliException.usage("--json " + json + ": the folder "
			+ parent + " does not exist");
	}

	@Override
	int execute() throws Exception {
		if (list) return BenchCli.list(out());
		return BenchCli.run(models, cases, warmups, repeats, maxRssGb, heap, json, out());
	}
}
