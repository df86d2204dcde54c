package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link LossScaler} follows {@code torch.cuda.amp.GradScaler}'s policy (backoff 0.5 on overflow, growth 2 after
 * {@code growth_interval} good steps in a row, the count reset by an overflow and by a growth), capped at 2^15
 * because the backward seed is itself a float16 number.
 */
class LossScalerTest {

	@Test
	void startsAtTheLargestFloat16PowerOfTwo() {
		LossScaler s = new LossScaler();
		assertEquals(32768.0, s.scale());
		assertEquals(0, s.goodSteps());
	}

	@Test
	void overflowHalvesAndResetsGoodSteps() {
		LossScaler s = new LossScaler(1024, 0, 3);
		s.update(true);
		s.update(true);
		assertEquals(2, s.goodSteps());
		s.update(false);
		assertEquals(512.0, s.scale());
		assertEquals(0, s.goodSteps(), "an overflow restarts the count");
		s.update(true);
		s.update(true);
		assertEquals(512.0, s.scale());
		s.update(true);
		assertEquals(1024.0, s.scale(), "three good steps in a row double it");
		assertEquals(0, s.goodSteps(), "and the count starts again");
	}

	@Test
	void growthStopsAtTheCapAndBackoffAtTheFloor() {
		LossScaler s = new LossScaler(16384, 0, 1);
		s.update(true);
		assertEquals(32768.0, s.scale());
		s.update(true);
		assertEquals(32768.0, s.scale(), "never above 2^15");
		LossScaler low = new LossScaler(Math.scalb(1.0, -23), 0, 2000);
		low.update(false);
		low.update(false);
		low.update(false);
		assertEquals(Math.scalb(1.0, -24), low.scale(), 0.0, "never below 2^-24");
	}

	@Test
	void restoreContinuesTheCount() {
		LossScaler s = new LossScaler(1024, 0, 4);
		s.restore(256, 3);
		assertEquals(256.0, s.scale());
		s.update(true);
		assertEquals(512.0, s.scale(), "the fourth good step counted from the checkpoint");
	}
}
