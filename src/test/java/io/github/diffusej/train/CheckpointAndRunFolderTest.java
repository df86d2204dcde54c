package io.github.diffusej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run folder's guarantees: checkpoint folders appear whole or not at all, pruning keeps the newest, bad run
 * folders are refused, {@code loss.csv} keeps one history on resume, and a full disk ends a run with a clear error
 * and the earlier checkpoints intact (on a real, small tmpfs where mounting is allowed, and through a failing
 * checkpoint writer everywhere).
 */
class CheckpointAndRunFolderTest {

	@TempDir
	Path tmp;

	/** Every file under {@code dir} (relative path to bytes). */
	static Map<String, byte[]> snapshot(Path dir) throws IOException {
		Map<String, byte[]> out = new TreeMap<>();
		try (Stream<Path> s = Files.walk(dir)) {
			for (Path p : s.filter(Files::isRegularFile).toList()) out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
		}
		return out;
	}

	static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) {
		assertEquals(expected.keySet(), actual.keySet(), what + ": files");
		expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), what + ": " + k));
	}

	static List<String> names(Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.map(p -> p.getFileName().toString()).sorted().toList();
		}
	}

	@Test
	void aCheckpointFolderIsWrittenWholeOrNotAtAll() throws Exception {
		Path cps = tmp.resolve("run/checkpoints");
		Path two = cps.resolve("checkpoint-step_00000002");
		RunFolder.writeFolder(two, d -> {
			Files.writeString(d.resolve(Checkpoint.STATE), "{}");
			Files.writeString(d.resolve("a.bin"), "first");
		});
		Map<String, byte[]> before = snapshot(two);
		IOException full = new FileSystemException("x", null, "No space left on device");
		Path four = cps.resolve("checkpoint-step_00000004");
		IOException thrown = assertThrows(IOException.class, () -> RunFolder.writeFolder(four, d -> {
			Files.writeString(d.resolve("a.bin"), "half of it");
			throw full;
		}));
		assertSame(full, thrown, "the writer's own error reaches the caller");
		assertThrows(IllegalStateException.class, () -> RunFolder.writeFolder(four, d -> {
			Files.writeString(d.resolve("a.bin"), "half of it");
			throw new IllegalStateException("bug");
		}));
		assertEquals(List.of("checkpoint-step_00000002"), names(cps), "no partial or hidden folder left behind");
		assertSameFiles(before, snapshot(two), "the earlier checkpoint");

		// replacing a folder: a failed write leaves the old one, a good one replaces it without leftovers
		assertThrows(IOException.class, () -> RunFolder.writeFolder(two, d -> {
			throw full;
		}));
		assertSameFiles(before, snapshot(two), "a failed replacement");
		RunFolder.writeFolder(two, d -> Files.writeString(d.resolve("b.bin"), "second"));
		assertEquals(List.of("b.bin"), names(two));
		assertEquals(List.of("checkpoint-step_00000002"), names(cps));
	}

	@Test
	void pruningKeepsTheNewestCompleteCheckpoints() throws Exception {
		RunFolder f = RunFolder.open(tmp.resolve("run"), false);
		int[] steps = {99_999_999, 1, 123_456_789, 10, 5};
		for (int s : steps) RunFolder.writeFolder(f.checkpoint(s), d -> Files.writeString(d.resolve(Checkpoint.STATE), "{}"));
		Files.createDirectories(f.checkpoint(200_000_000)); // incomplete: no state.json
		Files.createDirectories(f.checkpoints().resolve(".checkpoint-step_00000300.tmp"));
		assertEquals(List.of(f.checkpoint(1), f.checkpoint(5), f.checkpoint(10), f.checkpoint(99_999_999),
			f.checkpoint(123_456_789)), f.checkpointList(), "complete checkpoints, oldest first by step number");
		assertEquals(List.of(), f.prune(0), "keep 0 keeps all");
		assertEquals(List.of(f.checkpoint(1), f.checkpoint(5), f.checkpoint(10)), f.prune(2));
		assertEquals(List.of(f.checkpoint(99_999_999), f.checkpoint(123_456_789)), f.checkpointList());
		assertEquals(List.of(), f.prune(2));
		assertEquals(123_456_789, RunFolder.stepOf(f.checkpoint(123_456_789)));
	}

	@Test
	void badRunFoldersAreRefused() throws Exception {
		Path file = Files.writeString(tmp.resolve("a-file"), "x");
		assertContains(assertThrows(TrainingException.class, () -> RunFolder.open(file, false)).getMessage(),
			file.toString(), "the run folder is a file");
		assertContains(assertThrows(TrainingException.class, () -> RunFolder.open(file.resolve("run"), false)).getMessage(),
			"a-file", "is a file");
		Path run = tmp.resolve("run");
		RunFolder.open(run, false);
		Files.writeString(run.resolve("config.json"), "{}");
		assertContains(assertThrows(TrainingException.class, () -> RunFolder.open(run, false)).getMessage(),
			run.toString(), "already holds a training run", "--resume");
		assertEquals(run, RunFolder.open(run, true).dir());
		Path empty = Files.createDirectories(tmp.resolve("empty"));
		assertContains(assertThrows(TrainingException.class, () -> RunFolder.open(empty, true)).getMessage(),
			empty.toString(), "no config.json", "cannot resume");
		assertContains(assertThrows(TrainingException.class, () -> RunFolder.open(tmp.resolve("missing"), true))
			.getMessage(), "no config.json");
		assertEquals(empty, RunFolder.open(empty, false).dir(), "an existing empty folder takes a new run");
	}

	@Test
	void lossLogKeepsOnlyTheRowsUpToTheResumedStep() throws Exception {
		Path csv = tmp.resolve("loss.csv");
		try (LossLog log = LossLog.open(csv, -1)) {
			log.validation(0, 0.5);
			for (int s = 1; s <= 6; s++) {
				log.step(s, 0, 0.1 * s, 0.1, 1e-3, 2.0, 0.5);
				if (s % 3 == 0) log.validation(s, 0.5 - 0.01 * s);
			}
		}
		Files.writeString(csv, "7,0,0.7", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND); // cut by a crash
		try (LossLog log = LossLog.open(csv, 3)) {
			log.step(4, 0, 0.44, 0.1, 1e-3, 2.0, 0.5);
		}
		List<String> lines = Files.readAllLines(csv);
		assertEquals(LossLog.HEADER, lines.get(0));
		List<LossLog.Row> rows = LossLog.read(csv);
		assertEquals(List.of(0, 1, 2, 3, 3, 4), rows.stream().map(LossLog.Row::step).toList());
		assertEquals(0.44, rows.get(5).loss(), 1e-12, "the resumed run's row");
		assertEquals(0.47, rows.get(4).validationLoss(), 1e-12);
		assertTrue(Double.isNaN(rows.get(4).loss()), "a validation row has no training loss");
		try (LossLog log = LossLog.open(csv, -1)) {
			assertEquals(List.of(LossLog.HEADER), Files.readAllLines(csv), "a new run starts afresh");
		}
	}

	/** A loss.csv append on a full disk (a 64 kB tmpfs) names the file, as the run's error then does. */
	@Test
	void aFullDiskNamesTheLossLog() throws Exception {
		Path dir = Files.createDirectories(tmp.resolve("small"));
		String why = mount(dir, "size=64k");
		Assumptions.assumeTrue(why == null, () -> "mounting a tmpfs is not permitted here (" + why + ")");
		boolean checked = false;
		try {
			Path csv = dir.resolve("loss.csv");
			try (LossLog log = LossLog.open(csv, -1)) {
				log.step(1, 0, 0.1, 0.1, 1e-3, 1, 0.5);
				try (var fill = Files.newOutputStream(dir.resolve("filler"))) {
					byte[] block = new byte[4096];
					for (int i = 0; i < 1000; i++) fill.write(block);
					throw new AssertionError("the tmpfs did not fill");
				}
				catch (IOException full) {
					// the disk is full now
				}
				IOException e = assertThrows(IOException.class, () -> {
					for (int s = 2; s < 2000; s++) log.step(s, 0, 0.1, 0.1, 1e-3, 1, 0.5);
				});
				assertTrue(e instanceof FileSystemException f && f.getFile().equals(csv.toString()), e.toString());
				assertContains(e.getMessage(), "No space left on device");
				checked = true;
			}
			catch (IOException closing) {
				// closing flushes the row that did not fit: fails again, as it should
			}
			assertTrue(checked, "the full disk was not reached");
		}
		finally {
			unmount(dir);
		}
	}

	private static void assertContains(String message, String... parts) {
		for (String p : parts) assertTrue(message.contains(p), "'" + p + "' not in: " + message);
	}

	/** Records checkpoints and the end; runs an action after a given checkpoint. */
	static final class Watch implements TrainingListener {
		final List<Integer> checkpoints = new ArrayList<>();
		final int afterStep;
		final IoAction action;
		TrainingResult result;

		Watch(int afterStep, IoAction action) {
			this.afterStep = afterStep;
			this.action = action;
		}

		@Override
		public void checkpointSaved(int step, Path folder) {
			checkpoints.add(step);
			if (step == afterStep) {
				try {
					action.run(folder);
				}
				catch (IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			}
		}

		@Override
		public void finished(TrainingResult r) {
			result = r;
		}
	}

	@FunctionalInterface
	interface IoAction {
		void run(Path checkpoint) throws IOException;
	}

	private static TrainConfig diskConfig(Path data) {
		return TrainFixtures.tinyTi(data, 6).with(Map.of("checkpoints.every_steps", "2", "checkpoints.keep", "0"));
	}

	/**
	 * The disk fills up after the checkpoint of step 2 (a 4 MB tmpfs as the run folder, its inodes used up but
	 * three), so the checkpoint of step 4 fails midway: the run ends FAILED naming the folder and the disk problem,
	 * with the checkpoint of step 2 intact, nothing of step 4 left, and the run resumable.
	 */
	@Test
	void aDiskThatFillsMidCheckpointOnATmpfs() throws Exception {
		Path data = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		Path run = Files.createDirectories(tmp.resolve("run"));
		String why = mount(run, "size=4m,nr_inodes=64");
		Assumptions.assumeTrue(why == null, () -> "mounting a tmpfs is not permitted here (" + why + "); the same "
			+ "behaviour is tested without a mount by aCheckpointThatCannotBeWrittenFailsTheRunAndKeepsTheEarlierOnes");
		try {
			Map<String, byte[]>[] two = new Map[1];
			Watch watch = new Watch(2, cp -> {
				two[0] = snapshot(cp);
				Path filler = Files.createDirectories(run.resolve("filler"));
				List<Path> made = new ArrayList<>();
				try {
					for (int i = 0; i < 100_000; i++) made.add(Files.createFile(filler.resolve("f" + i)));
					throw new AssertionError("the tmpfs did not run out of inodes");
				}
				catch (FileSystemException full) {
					// the disk is full: leave three inodes, fewer than a checkpoint needs
					for (int i = 0; i < 3; i++) Files.delete(made.remove(made.size() - 1));
				}
			});
			TrainingResult r;
			try (Trainer t = Trainer.open(diskConfig(data), run, false, Device.cpu(), watch)) {
				r = t.run();
			}
			assertEquals(TrainingResult.Status.FAILED, r.status(), () -> "status " + r.status() + ": " + r.error());
			System.out.println("disk full on tmpfs: " + r.error());
			assertContains(r.error(), run.toString(), "No space left on device", "checkpoint of step 4",
				"earlier checkpoints are intact", "checkpoint-step_00000002");
			assertEquals(4, r.step());
			assertEquals(List.of(2), watch.checkpoints);
			assertEquals(List.of("checkpoint-step_00000002"), names(run.resolve("checkpoints")));
			assertSameFiles(two[0], snapshot(run.resolve("checkpoints/checkpoint-step_00000002")), "checkpoint 2");
			assertEquals(2, Checkpoint.read(run.resolve("checkpoints/checkpoint-step_00000002")).state().step());
		}
		finally {
			unmount(run);
		}
	}

	/**
	 * The same without a mount: the checkpoint of step 4 fails after its first file as a full disk fails it
	 * ({@link Trainer#checkpointWriter}, the test seam); the run ends FAILED with the folder and the reason, step 2
	 * stays intact, and the run resumes from it to the end (rows 3 and 4 of the failed attempt dropped from
	 * loss.csv).
	 */
	@Test
	void aCheckpointThatCannotBeWrittenFailsTheRunAndKeepsTheEarlierOnes() throws Exception {
		Path data = TrainFixtures.captionFolder(tmp.resolve("data"), 2, 0);
		Path run = tmp.resolve("run");
		Map<String, byte[]>[] two = new Map[1];
		Watch watch = new Watch(2, cp -> two[0] = snapshot(cp));
		TrainingResult r;
		try (Trainer t = Trainer.open(diskConfig(data), run, false, Device.cpu(), watch)) {
			t.checkpointWriter = w -> dir -> {
				if (!dir.getFileName().toString().contains("00000004")) {
					w.write(dir);
					return;
				}
				Files.writeString(dir.resolve(Checkpoint.TRAINABLES), "partial");
				throw new FileSystemException(dir.resolve(Checkpoint.OPTIMIZER).toString(), null, "No space left on device");
			};
			r = t.run();
		}
		assertEquals(TrainingResult.Status.FAILED, r.status(), () -> "status " + r.status() + ": " + r.error());
		System.out.println("failing checkpoint writer: " + r.error());
		assertContains(r.error(), run.toString(), "No space left on device", "cannot write the checkpoint of step 4",
			"earlier checkpoints are intact", "the last good checkpoint is " + run.resolve("checkpoints/checkpoint-step_00000002"));
		assertEquals(List.of("checkpoint-step_00000002"), names(run.resolve("checkpoints")), "nothing of step 4 left");
		assertSameFiles(two[0], snapshot(run.resolve("checkpoints/checkpoint-step_00000002")), "checkpoint 2");
		assertFalse(Files.exists(run.resolve("my-cell.safetensors")), "a failed run exports no final result");

		Watch resumed = new Watch(-1, cp -> {});
		try (Trainer t = Trainer.open(TrainConfig.read(run.resolve("config.json")), run, true, Device.cpu(), resumed)) {
			assertEquals(2, t.stepsDone());
			TrainingResult end = t.run();
			assertEquals(TrainingResult.Status.FINISHED, end.status(), () -> String.valueOf(end.error()));
			assertEquals(6, end.step());
		}
		assertEquals(List.of(4, 6), resumed.checkpoints);
		assertEquals(List.of(1, 2, 3, 4, 5, 6), LossLog.read(run.resolve("loss.csv")).stream().map(LossLog.Row::step).toList(),
			"one history in loss.csv");
	}

	/** Mounts a tmpfs on {@code dir}; null when it worked, else why not. */
	static String mount(Path dir, String options) {
		try {
			Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "diffusej-test", dir.toString())
				.redirectErrorStream(true).start();
			if (!p.waitFor(20, TimeUnit.SECONDS)) {
				p.destroyForcibly();
				return "mount did not finish";
			}
			String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			return p.exitValue() == 0 ? null : "mount exit " + p.exitValue() + ": " + out;
		}
		catch (IOException e) {
			return e.getMessage();
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return "interrupted";
		}
	}

	static void unmount(Path dir) throws Exception {
		Process p = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
		if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
			p.destroyForcibly();
			new ProcessBuilder("umount", "-l", dir.toString()).start().waitFor(20, TimeUnit.SECONDS);
		}
	}
}
