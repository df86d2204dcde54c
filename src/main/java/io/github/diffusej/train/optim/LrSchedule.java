package io.github.diffusej.train.optim;

/**
 * Learning-rate multipliers of transformers' {@code get_scheduler} (used by the diffusers, kohya and
 * invoke-training scripts), as a function of the optimizer step index {@code s} (0 for the first update):
 * the rate used by update {@code s} is {@code base x factor(s)}. With warm-up {@code w}, {@code factor} rises as
 * {@code s / w} (so the very first update uses 0, as in transformers).
 *
 * @param type constant, constant_with_warmup, linear, cosine, cosine_with_restarts or polynomial
 * @param warmup warm-up steps
 * @param total steps of the run
 * @param cycles cosine: number of waves (0.5 = half a cosine, from 1 to 0); with restarts: number of cycles, each a
 *        half cosine from 1 to 0 (transformers' {@code num_cycles}, used as given); 0 = the schedule's default in
 *        transformers ({@value #COSINE_CYCLES} for cosine, {@value #RESTART_CYCLES} for cosine_with_restarts)
 * @param power polynomial power
 * @param endRatio polynomial: final rate / base rate (transformers' lr_end 1e-7 over the base rate)
 */
public record LrSchedule(String type, int warmup, int total, double cycles, double power, double endRatio) {

	/** transformers' default {@code num_cycles} of {@code get_cosine_schedule_with_warmup}. */
	public static final double COSINE_CYCLES = 0.5;
	/** transformers' default {@code num_cycles} of {@code get_cosine_with_hard_restarts_schedule_with_warmup}. */
	public static final double RESTART_CYCLES = 1;

	public LrSchedule {
		switch (type) {
			case "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial" -> {
			}
			default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + type + "'");
		}
		if (warmup < 0 || total < 1) throw new IllegalArgumentException("warmup must be >= 0 and total >= 1");
		if (cycles == 0) cycles = type.equals("cosine_with_restarts") ? RESTART_CYCLES : COSINE_CYCLES;
	}

	/** The multiplier of the base rate for update {@code s}. */
	public double factor(int s) {
		if (type.equals("constant")) return 1;
		if (s < warmup) return (double) s / Math.max(1, warmup);
		double progress = (double) (s - warmup) / Math.max(1, total - warmup);
		return switch (type) {
			case "constant_with_warmup" -> 1;
			case "linear" -> Math.max(0, (double) (total - s) / Math.max(1, total - warmup));
			case "cosine" -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
			case "cosine_with_restarts" -> progress >= 1 ? 0
				: Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1.0))));
			case "polynomial" -> {
				if (s > total) yield endRatio;
				double remaining = 1 - (double) (s - warmup) / Math.max(1, total - warmup);
				yield (1 - endRatio) * Math.pow(remaining, power) + endRatio;
			}
			default -> throw new IllegalStateException(type);
		};
	}
}
