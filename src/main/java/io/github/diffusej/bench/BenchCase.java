package io.github.diffusej.bench;

import java.util.List;

/**
 * One row of the benchmark: a named measurement that {@link BenchRunner} runs in a JVM of its own, so that the
 * row's peak RSS is its own. Add a row by adding a case to {@link BenchCases}.
 *
 * @param name short id used on the command line ({@code --cases})
 * @param what the row's label in the table
 * @param warmups untimed runs before the timed ones (the command line may override)
 * @param repeats timed runs (the command line may override)
 * @param reference the diffusers figure for this row on the reference machine, or null
 * @param fixedHeap a Java heap size that the case's process commits and touches at start ({@code -Xms} =
 *        {@code -Xmx}, {@code -XX:+AlwaysPreTouch}), so that its RSS does not grow as the heap's pages are first
 *        used; null for the runner's {@code --heap} (grown on demand)
 * @param body the measurement, run inside the case's own process
 */
public record BenchCase(String name, String what, int warmups, int repeats, Reference reference, String fixedHeap,
	Body body)
{

	/** A case run with the runner's heap setting. */
	public BenchCase(String name, String what, int warmups, int repeats, Reference reference, Body body) {
		this(name, what, warmups, repeats, reference, null, body);
	}

	/** The measurement. */
	@FunctionalInterface
	public interface Body {
		Outcome run(BenchContext context, int warmups, int repeats) throws Exception;
	}

	/**
	 * What a run measured.
	 *
	 * @param seconds seconds per timed run
	 * @param flops floating-point operations per run (for GFLOP/s), or 0 when not counted
	 */
	public record Outcome(List<Double> seconds, long flops) {

		public static Outcome of(List<Double> seconds) {
			return new Outcome(seconds, 0);
		}
	}

	/**
	 * A figure measured for diffusers 0.25.1 (Debian's torch 1.13.1) on this project's 2-thread CPU machine with an
	 * SD 1.5-size random-weight model, each case in its own process (issue 12; issue 9 for the LoRA step).
	 */
	public record Reference(double seconds, double peakRssGb) {}
}
