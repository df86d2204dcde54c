package io.github.diffusej.cli;

import io.github.diffusej.bench.BenchCase;
import io.github.diffusej.bench.BenchCases;
import io.github.diffusej.bench.BenchContext;
import io.github.diffusej.bench.BenchRunner;
import io.github.diffusej.bench.ProcessMemory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code diffusej bench}: speed and memory of text encoder, UNet, VAE, generation and training steps on this
 * machine, each case in its own JVM, printed as one table and written as JSON (see {@link BenchRunner}).
 */
final class BenchCli {

	private BenchCli() {}

	/** Lists the cases of full-size and tiny models. */
	static int list(PrintWriter out) {
		for (boolean tiny : new boolean[] {false, true}) {
			out.println(tiny ? "tiny model:" : "full-size models (sd15 or --model PATH):");
			for (BenchCase c : BenchCases.all(tiny)) out.printf("  %-22s %s%n", c.name(), c.what());
		}
		out.flush();
		return 0;
	}

	/** Runs the selected cases (options as {@link BenchCommand} checked them; empty lists mean the defaults). */
	static int run(List<String> models, List<String> cases, int warmups, int repeats, Double maxRssGb, String heap,
		Path json, PrintWriter out) throws Exception
	{
		List<String> m = models == null || models.isEmpty() ? List.of(BenchContext.SD15, BenchContext.TINY) : models;
		List<String> c = new ArrayList<>();
		if (cases != null) for (String s : cases) c.addAll(Arrays.stream(s.split(",")).map(String::trim)
			.filter(x -> !x.isEmpty()).toList());
		double defaultLimit = Math.min(22, 0.85 * ProcessMemory.available() / 1e9);
		double limit = maxRssGb != null ? maxRssGb : defaultLimit > 0 ? defaultLimit : 22;
		BenchRunner.Options o = new BenchRunner.Options(m, c, warmups, repeats, (long) (limit * 1e9), heap, json);
		int code = BenchRunner.run(o, out);
		out.flush();
		return code;
	}
}
