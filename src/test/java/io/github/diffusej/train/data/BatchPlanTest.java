package io.github.diffusej.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class BatchPlanTest {

	private static final Bucket SQ = new Bucket(64, 64);
	private static final Bucket WIDE = new Bucket(96, 32);
	private static final Bucket TALL = new Bucket(32, 96);

	/** 7 square, 5 wide and 2 tall items. */
	private static List<Bucket> items() {
		List<Bucket> b = new ArrayList<>();
		for (int i = 0; i < 14; i++) b.add(i < 7 ? SQ : i < 12 ? WIDE : TALL);
		return b;
	}

	@Test
	void everyExampleOncePerRepeatInBatchesOfOneBucket() {
		List<Bucket> buckets = items();
		int[] repeats = new int[14];
		for (int i = 0; i < 14; i++) repeats[i] = 1 + i % 3;
		BatchPlan plan = new BatchPlan(buckets, repeats, null, 3, 42);
		for (int e = 0; e < 4; e++) {
			List<BatchPlan.Batch> batches = plan.epoch(e);
			Map<Integer, Integer> seen = new HashMap<>();
			Map<Bucket, Integer> partial = new HashMap<>();
			Map<Bucket, Integer> total = new HashMap<>();
			for (int k = 0; k < batches.size(); k++) {
				BatchPlan.Batch b = batches.get(k);
				assertEquals(e, b.epoch());
				assertEquals(k, b.index());
				assertTrue(b.size() >= 1 && b.size() <= 3);
				if (b.size() < 3) partial.merge(b.bucket(), 1, Integer::sum);
				for (BatchPlan.Sample s : b.samples()) {
					assertEquals(b.bucket(), buckets.get(s.index()), "a batch holds one bucket");
					assertTrue(!s.regularisation());
					seen.merge(s.index(), 1, Integer::sum);
					total.merge(b.bucket(), 1, Integer::sum);
				}
			}
			for (int i = 0; i < 14; i++) assertEquals(repeats[i], seen.get(i), "item " + i);
			for (int p : partial.values()) assertEquals(1, p, "at most one partial batch per bucket (kept, as kohya)");
			int expected = 0;
			for (int n : total.values()) expected += (n + 2) / 3;
			assertEquals(expected, batches.size());
			assertEquals(expected, plan.batchCount(e));
		}
		assertEquals(27, plan.samplesPerEpoch()); // 14 + 4 x (0 + 1 + 2) + 1
	}

	@Test
	void theOrderIsAFunctionOfSeedAndEpochOnly() {
		BatchPlan a = new BatchPlan(items(), 2, 42);
		BatchPlan b = new BatchPlan(items(), 2, 42);
		// b computes epoch 5 first, a after epochs 0..4: the same batches
		for (int e = 0; e < 5; e++) a.epoch(e);
		assertEquals(a.epoch(5), b.epoch(5));
		assertEquals(a.epoch(0), b.epoch(0));
		assertNotEquals(a.epoch(0), a.epoch(1), "epochs are shuffled differently");
		assertNotEquals(a.epoch(0), new BatchPlan(items(), 2, 43).epoch(0), "another seed, another order");
	}

	@Test
	void aResumedRunSeesExactlyTheBatchesOfAStraightRun() {
		List<Bucket> reg = List.of(SQ, SQ, WIDE, TALL, TALL, SQ, WIDE, WIDE, SQ, SQ, SQ);
		for (List<Bucket> regularisation : List.of(List.<Bucket>of(), reg)) {
			BatchPlan straight = new BatchPlan(items(), 1, regularisation, 2, 7);
			List<BatchPlan.Batch> run = new ArrayList<>();
			for (long g = 0; g < 60; g++) {
				BatchPlan.Position p = straight.locate(g);
				run.add(straight.batch(p.epoch(), p.batch()));
			}
			// the straight run walks epoch by epoch
			int e = 0;
			int k = 0;
			for (BatchPlan.Batch b : run) {
				if (k == straight.batchCount(e)) {
					e++;
					k = 0;
				}
				assertEquals(e, b.epoch());
				assertEquals(k, b.index());
				k++;
			}
			for (int stop : new int[] {1, 13, 29, 41}) {
				BatchPlan resumed = new BatchPlan(items(), 1, regularisation, 2, 7); // a fresh process
				BatchPlan.Position at = resumed.locate(stop);
				List<BatchPlan.Batch> rest = new ArrayList<>();
				int ep = at.epoch();
				int bi = at.batch();
				while (rest.size() < 60 - stop) {
					if (bi == resumed.batchCount(ep)) {
						ep++;
						bi = 0;
					}
					rest.add(resumed.batch(ep, bi++));
				}
				assertEquals(run.subList(stop, 60), rest, "resumed at batch " + stop);
			}
		}
	}

	@Test
	void regularisationExamplesMatchTheTrainingCountAndCycleEvenly() {
		List<Bucket> train = items(); // 14 examples per epoch
		List<Bucket> reg = new ArrayList<>();
		for (int i = 0; i < 20; i++) reg.add(i % 4 == 0 ? WIDE : SQ);
		BatchPlan plan = new BatchPlan(train, null, reg, 4, 3);
		assertTrue(plan.hasRegularisation());
		Map<Integer, Integer> uses = new HashMap<>();
		int epochs = 10; // 140 regularisation examples = 7 passes over 20 images
		for (int e = 0; e < epochs; e++) {
			int regs = 0;
			int trains = 0;
			for (BatchPlan.Batch b : plan.epoch(e)) {
				for (BatchPlan.Sample s : b.samples()) {
					if (s.regularisation()) {
						regs++;
						uses.merge(s.index(), 1, Integer::sum);
						assertEquals(reg.get(s.index()), b.bucket(), "regularisation examples go to their own bucket");
					}
					else {
						trains++;
						assertEquals(train.get(s.index()), b.bucket());
					}
				}
			}
			assertEquals(14, trains);
			assertEquals(14, regs, "one regularisation example per training example");
		}
		assertEquals(20, uses.size());
		for (int n : uses.values()) assertEquals(7, n, "every regularisation image used equally often");
	}

	@Test
	void badArgumentsAreRefused() {
		assertThrows(IllegalArgumentException.class, () -> new BatchPlan(List.of(), 1, 0));
		assertThrows(IllegalArgumentException.class, () -> new BatchPlan(items(), 0, 0));
		assertThrows(IllegalArgumentException.class, () -> new BatchPlan(items(), new int[3], null, 1, 0));
		assertThrows(IllegalArgumentException.class, () -> new BatchPlan(items(), 0, null, 1, 0));
		BatchPlan p = new BatchPlan(items(), 4, 0);
		assertThrows(IndexOutOfBoundsException.class, () -> p.batch(0, p.batchCount(0)));
		assertEquals(new BatchPlan.Position(2, 1), p.locate(2L * p.batchCount(0) + 1));
	}

	@Test
	void streamsForABatchAreReproducible() {
		assertEquals(BatchPlan.streamFor(1, "augment", 3, 4).nextLong(), BatchPlan.streamFor(1, "augment", 3, 4).nextLong());
		assertNotEquals(BatchPlan.streamFor(1, "augment", 3, 4).nextLong(), BatchPlan.streamFor(1, "augment", 4, 3).nextLong());
		assertNotEquals(BatchPlan.streamFor(1, "augment", 3, 4).nextLong(), BatchPlan.streamFor(1, "captions", 3, 4).nextLong());
	}
}
