package io.github.diffusej.cli;

import io.github.diffusej.bench.BenchCase;
import io.github.diffusej.bench.BenchCases;
import io.github.diffusej.bench.BenchContext;
import io.github.diffusej.bench.BenchRunner;
import io.github.diffusej.bench.ProcessMemory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code diffusej bench}: speed and memory of text encoder, UNet, VAE, generation and a LoRA training step on this
 * machine, each case in its own JVM, printed as one table and written as JSON (see {@link BenchRunner}).
 */
final class BenchCli {

	static final String USAGE = """
		usage: diffusej bench [--model sd15|tiny|PATH]... [--cases NAME,PREFIX*,...] [--repeats N] [--warmups N]
		                      [--json FILE] [--max-rss-gb G] [--heap SIZE] [--list]
		  --model M       sd15: an SD 1.5-size network with random weights made in memory from the bundled SD1
		                  configs (no download); tiny: the tiny random model; or a diffusers folder / .safetensors
		                  checkpoint. Repeatable; default: sd15 and tiny
		  --cases LIST    the cases to run (default: all; --list shows them); NAME* selects a prefix
		  --repeats N     timed runs per case (default: per case, 2-9)
		  --warmups N     untimed runs before them (default: per case)
		  --json FILE     where the rows go as JSON (default: diffusej-bench.json)
		  --max-rss-gb G  stop a case whose resident memory passes G GB (default: 85% of what is available, at most 22)
		  --heap SIZE     -Xmx of the case processes (default 2g; the tensors live outside the Java heap)
		Device and threads: -Ddiffusej.device=cpu|gpu -Ddiffusej.threads=N (DIFFUSEJ_JAVA_OPTS for bin/diffusej).
		""";

	private BenchCli() {}

	static int run(String[] argv) throws Exception {
		if (argv.length > 0 && argv[0].equals("--help")) {
			System.out.print(USAGE);
			return 0;
		}
		Args a = new Args("bench", argv, Set.of("model", "cases", "repeats", "warmups", "json", "max-rss-gb", "heap"),
			Set.of("list"));
		List<String> models = a.all("model").isEmpty() ? List.of(BenchContext.SD15, BenchContext.TINY) : a.all("model");
		if (a.flag("list")) {
			for (boolean tiny : new boolean[] {false, true}) {
				System.out.println(tiny ? "tiny model:" : "full-size models (sd15 or --model PATH):");
				for (BenchCase c : BenchCases.all(tiny)) System.out.printf("  %-18s %s%n", c.name(), c.what());
			}
			return 0;
		}
		List<String> cases = new ArrayList<>();
		for (String c : a.all("cases")) cases.addAll(Arrays.stream(c.split(",")).map(String::trim).filter(s -> !s.isEmpty())
			.toList());
		double defaultLimit = Math.min(22, 0.85 * ProcessMemory.available() / 1e9);
		long maxRss = (long) (a.number("max-rss-gb", defaultLimit > 0 ? defaultLimit : 22) * 1e9);
		BenchRunner.Options o = new BenchRunner.Options(models, cases, a.integer("warmups", -1), a.integer("repeats", -1),
			maxRss, a.get("heap", "2g"), a.path("json", Path.of("diffusej-bench.json")));
		return BenchRunner.run(o, System.out);
	}
}
