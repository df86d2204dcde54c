package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.diffusej.train.optim.LrSchedule;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link LrSchedule} against the learning-rate lambdas of transformers' {@code optimization.py}
 * ({@code _get_*_lr_lambda}, which {@code get_scheduler} wraps in a {@code LambdaLR}), written out here
 * independently, one function per schedule. {@code LambdaLR} gives update {@code s} (0 for the first) the rate
 * {@code base x lambda(s)}, so with warm-up the first update uses 0.
 */
class LrScheduleTest {

	static double warm(int s, int w) {
		return (double) s / Math.max(1, w);
	}

	/** transformers: _get_constant_schedule_with_warmup_lr_lambda. */
	static double constantWithWarmup(int s, int w) {
		return s < w ? warm(s, w) : 1.0;
	}

	/** transformers: _get_linear_schedule_with_warmup_lr_lambda. */
	static double linear(int s, int w, int n) {
		if (s < w) return warm(s, w);
		return Math.max(0.0, (double) (n - s) / Math.max(1, n - w));
	}

	/** transformers: _get_cosine_schedule_with_warmup_lr_lambda (num_cycles = waves). */
	static double cosine(int s, int w, int n, double cycles) {
		if (s < w) return warm(s, w);
		double progress = (double) (s - w) / Math.max(1, n - w);
		return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress)));
	}

	/** transformers: _get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda (Python's % on floats >= 0). */
	static double hardRestarts(int s, int w, int n, double cycles) {
		if (s < w) return warm(s, w);
		double progress = (double) (s - w) / Math.max(1, n - w);
		if (progress >= 1.0) return 0.0;
		double x = cycles * progress;
		return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * (x - Math.floor(x)))));
	}

	/** transformers: _get_polynomial_decay_schedule_with_warmup_lr_lambda, as a ratio of lr_init. */
	static double polynomial(int s, int w, int n, double lrInit, double lrEnd, double power) {
		if (s < w) return warm(s, w);
		if (s > n) return lrEnd / lrInit;
		double range = lrInit - lrEnd;
		double remaining = 1 - (double) (s - w) / (n - w);
		return (range * Math.pow(remaining, power) + lrEnd) / lrInit;
	}

	private static void assertSchedule(LrSchedule s, IntToDoubleFunction reference, int upTo) {
		for (int step = 0; step <= upTo; step++)
			assertEquals(reference.applyAsDouble(step), s.factor(step), 1e-12, s + " at step " + step);
	}

	@Test
	void constantIgnoresWarmup() {
		assertSchedule(new LrSchedule("constant", 10, 100, 0.5, 1, 0), s -> 1.0, 120);
	}

	@Test
	void constantWithWarmupRisesFromZero() {
		LrSchedule s = new LrSchedule("constant_with_warmup", 4, 20, 0.5, 1, 0);
		assertEquals(0.0, s.factor(0), "the first update of a warm-up uses 0, as transformers does");
		assertEquals(0.25, s.factor(1), 1e-15);
		assertEquals(0.75, s.factor(3), 1e-15, "the last warm-up step");
		assertEquals(1.0, s.factor(4), "the first step after warm-up");
		assertSchedule(s, x -> constantWithWarmup(x, 4), 25);
	}

	@Test
	void linearWithAndWithoutWarmup() {
		assertSchedule(new LrSchedule("linear", 0, 10, 0.5, 1, 0), x -> linear(x, 0, 10), 12);
		LrSchedule s = new LrSchedule("linear", 5, 25, 0.5, 1, 0);
		assertEquals(0.0, s.factor(0));
		assertEquals(0.8, s.factor(4), 1e-15);
		assertEquals(1.0, s.factor(5), 1e-15, "the peak right after warm-up");
		assertEquals(0.05, s.factor(24), 1e-15, "the last update of the run (step 24 of 25)");
		assertEquals(0.0, s.factor(25), 0.0);
		assertEquals(0.0, s.factor(40), 0.0, "never negative past the end");
		assertSchedule(s, x -> linear(x, 5, 25), 30);
	}

	@Test
	void cosineHalfWaveAndSeveralWaves() {
		LrSchedule half = new LrSchedule("cosine", 3, 23, 0.5, 1, 0);
		assertEquals(1.0, half.factor(3), 1e-15);
		assertEquals(0.5, half.factor(13), 1e-12, "half-way through the decay");
		assertEquals(0.0, half.factor(23), 1e-15, "the end of one half-wave");
		assertSchedule(half, x -> cosine(x, 3, 23, 0.5), 30);
		LrSchedule waves = new LrSchedule("cosine", 0, 40, 2.0, 1, 0);
		assertEquals(1.0, waves.factor(20), 1e-12, "two full waves: back at the top in the middle");
		assertSchedule(waves, x -> cosine(x, 0, 40, 2.0), 45);
		assertSchedule(new LrSchedule("cosine", 0, 30, 1.25, 1, 0), x -> cosine(x, 0, 30, 1.25), 31);
	}

	@Test
	void cosineWithRestartsRestartsEachCycle() {
		LrSchedule s = new LrSchedule("cosine_with_restarts", 4, 44, 4, 1, 0);
		assertEquals(1.0, s.factor(4), 1e-15);
		assertEquals(0.5, s.factor(9), 1e-12, "half-way through the first cycle");
		assertEquals(1.0, s.factor(14), 1e-15, "restart after a quarter of the decay");
		assertEquals(1.0, s.factor(24), 1e-15, "second restart");
		assertEquals(0.0, s.factor(44), 0.0, "0 from the end on");
		assertSchedule(s, x -> hardRestarts(x, 4, 44, 4), 47);
		assertSchedule(new LrSchedule("cosine_with_restarts", 2, 32, 3, 1, 0), x -> hardRestarts(x, 2, 32, 3), 35);
		assertSchedule(new LrSchedule("cosine_with_restarts", 0, 50, 1, 1, 0), x -> hardRestarts(x, 0, 50, 1), 52);
	}

	/** transformers' formula for any cycle count, not only whole ones (0.5: a half cosine from 1 down to 0.5). */
	@Test
	void cosineWithRestartsUsesTheCycleCountAsTransformersDoes() {
		assertSchedule(new LrSchedule("cosine_with_restarts", 0, 20, 0.5, 1, 0), x -> hardRestarts(x, 0, 20, 0.5), 21);
		assertSchedule(new LrSchedule("cosine_with_restarts", 4, 24, 2.5, 1, 0), x -> hardRestarts(x, 4, 24, 2.5), 26);
	}

	/**
	 * {@code schedule.cycles} 0 (the config's default) is each schedule's default in transformers: 0.5 waves for
	 * cosine, 1 cycle for cosine_with_restarts. (A shared default of 0.5 once made cosine_with_restarts a constant
	 * rate: its cycle count was rounded down to 0.)
	 */
	@Test
	void theConfigDefaultIsEachSchedulesOwnDefault() {
		double cycles = TrainConfig.defaults(TrainConfig.Method.LORA).schedule().cycles();
		assertEquals(0.0, cycles);
		assertSchedule(new LrSchedule("cosine", 2, 22, cycles, 1, 0), x -> cosine(x, 2, 22, 0.5), 24);
		LrSchedule restarts = new LrSchedule("cosine_with_restarts", 2, 22, cycles, 1, 0);
		assertSchedule(restarts, x -> hardRestarts(x, 2, 22, 1), 24);
		assertEquals(0.5, restarts.factor(12), 1e-12, "one cycle: half-way down in the middle of the run");
		assertEquals(0.5, TrainConfig.defaults(TrainConfig.Method.TEXTUAL_INVERSION).with("schedule.type", "cosine")
			.with("schedule.cycles", "0.5").schedule().cycles(), 0.0);
	}

	@Test
	void polynomialDecaysToTheEndRateWithItsPower() {
		double lr = 1e-4, end = 1e-7;
		for (double power : new double[] {1.0, 2.0, 0.5}) {
			LrSchedule s = new LrSchedule("polynomial", 5, 25, 0.5, power, end / lr);
			assertEquals(0.0, s.factor(0));
			assertEquals(1.0, s.factor(5), 1e-12, "the peak after warm-up");
			assertEquals(end / lr, s.factor(25), 1e-15, "the end rate at the last step");
			assertEquals(end / lr, s.factor(26), 1e-15, "and after it");
			assertSchedule(s, x -> polynomial(x, 5, 25, lr, end, power), 30);
		}
		// power 2: a quarter of the range left half-way through
		LrSchedule sq = new LrSchedule("polynomial", 0, 10, 0.5, 2.0, 0.0);
		assertEquals(0.25, sq.factor(5), 1e-15);
	}

	/** The rate the Trainer gives transformers' lr_end = 1e-7 relative to the base rate. */
	@Test
	void trainerPolynomialEndIsTransformersLrEnd() {
		// the Trainer builds polynomial schedules with endRatio = min(1, 1e-7 / learning_rate)
		double lr = 5e-3;
		LrSchedule s = new LrSchedule("polynomial", 0, 8, 0.5, 1.0, Math.min(1, 1e-7 / lr));
		assertSchedule(s, x -> polynomial(x, 0, 8, lr, 1e-7, 1.0), 9);
	}

	@Test
	void badSchedulesAreRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> new LrSchedule("cosine_annealing", 0, 10, 0.5, 1, 0));
		assertEquals("unknown learning-rate schedule 'cosine_annealing'", e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new LrSchedule("linear", -1, 10, 0.5, 1, 0));
		assertThrows(IllegalArgumentException.class, () -> new LrSchedule("linear", 0, 0, 0.5, 1, 0));
	}
}
