package io.github.diffusej.train;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The folder of one training run:
 *
 * <pre>
 * RUN/config.json                          everything that defines the run (rerun it with --config)
 * RUN/loss.csv, RUN/loss.png               the loss of every step, and its curve
 * RUN/&lt;name&gt;.safetensors ...              the final result for other tools (the method's files)
 * RUN/best/...                             the result of the lowest validation loss
 * RUN/checkpoints/checkpoint-step_00000250/  resumable state + the method's files at that step
 * RUN/validation/step_00000250/*.png        validation images (same prompts and seeds every time)
 * RUN/cache/latents/                        cached VAE latents (when cached on disk)
 * </pre>
 *
 * Checkpoints are written into a hidden sibling folder and renamed into place when complete, so a folder named
 * {@code checkpoint-step_N} is always whole; a failed write leaves the earlier checkpoints as they were.
 */
public final class RunFolder {

	static final String CHECKPOINT_PREFIX = "checkpoint-step_";
	private static final Pattern CHECKPOINT = Pattern.compile(Pattern.quote(CHECKPOINT_PREFIX) + "(\\d+)");

	private final Path dir;

	private RunFolder(Path dir) {
		this.dir = dir;
	}

	/**
	 * Opens {@code dir} for a new run (creating it) or, with {@code resume}, for continuing one; checks before
	 * anything heavy is loaded that the folder can be written, and that a new run does not overwrite an old one.
	 */
	public static RunFolder open(Path dir, boolean resume) {
		Path d = dir.toAbsolutePath().normalize();
		if (Files.exists(d) && !Files.isDirectory(d)) throw new TrainingException(d + ": the run folder is a file");
		if (resume) {
			if (!Files.isRegularFile(d.resolve("config.json"))) throw new TrainingException(d
				+ ": not a training run folder (no config.json); cannot resume");
		}
		else if (Files.isRegularFile(d.resolve("config.json"))) throw new TrainingException(d
			+ " already holds a training run; resume it (--resume " + d + ") or choose another output folder");
		// a file on the way fails createDirectories with a bare "Not a directory": name it
		for (Path a = d.getParent(); a != null; a = a.getParent()) {
			if (Files.isDirectory(a)) break;
			if (Files.exists(a)) throw new TrainingException(d + ": cannot create the run folder: " + a + " is a file");
		}
		try {
			Files.createDirectories(d);
			Path probe = Files.createTempFile(d, ".write-test", ".tmp");
			Files.delete(probe);
		}
		catch (FileAlreadyExistsException | NotDirectoryException e) {
			throw new TrainingException(d + ": cannot create the run folder: " + e.getFile() + " is a file");
		}
		catch (AccessDeniedException e) {
			throw new TrainingException(d + ": the run folder is not writable (permission denied)");
		}
		catch (FileSystemException e) {
			throw new TrainingException(d + ": the run folder is not writable: " + reason(e));
		}
		catch (IOException e) {
			throw new TrainingException(d + ": the run folder is not writable: " + e.getMessage());
		}
		return new RunFolder(d);
	}

	static String reason(FileSystemException e) {
		return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
	}

	public Path dir() {
		return dir;
	}

	public Path config() {
		return dir.resolve("config.json");
	}

	public Path lossCsv() {
		return dir.resolve("loss.csv");
	}

	public Path lossPng() {
		return dir.resolve("loss.png");
	}

	public Path best() {
		return dir.resolve("best");
	}

	public Path checkpoints() {
		return dir.resolve("checkpoints");
	}

	public Path latentCache() {
		return dir.resolve("cache").resolve("latents");
	}

	/** The folder of the validation images made at {@code step}. */
	public Path validation(int step) {
		return dir.resolve("validation").resolve(String.format("step_%08d", step));
	}

	/** The checkpoint folder of {@code step}. */
	public Path checkpoint(int step) {
		return checkpoints().resolve(String.format("%s%08d", CHECKPOINT_PREFIX, step));
	}

	/** The complete checkpoints, oldest first. */
	public List<Path> checkpointList() {
		if (!Files.isDirectory(checkpoints())) return List.of();
		List<Path> out = new ArrayList<>();
		try (Stream<Path> s = Files.list(checkpoints())) {
			s.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
				.filter(p -> Files.isRegularFile(p.resolve(Checkpoint.STATE))).forEach(out::add);
		}
		catch (IOException e) {
			throw new TrainingException(checkpoints() + ": cannot list checkpoints: " + e.getMessage());
		}
		out.sort(Comparator.comparingInt(RunFolder::stepOf));
		return out;
	}

	/** The step of a checkpoint folder. */
	public static int stepOf(Path checkpoint) {
		Matcher m = CHECKPOINT.matcher(checkpoint.getFileName().toString());
		if (!m.matches()) throw new IllegalArgumentException(checkpoint + " is not a checkpoint folder");
		return Integer.parseInt(m.group(1));
	}

	/**
	 * Writes a folder atomically: {@code writer} fills a hidden temporary sibling of {@code target}, which then
	 * replaces {@code target} (an older folder of that name is removed only after the new one is complete).
	 */
	public static void writeFolder(Path target, FolderWriter writer) throws IOException {
		Path parent = target.getParent();
		Files.createDirectories(parent);
		Path tmp = parent.resolve("." + target.getFileName() + ".tmp");
		deleteTree(tmp);
		Files.createDirectories(tmp);
		try {
			writer.write(tmp);
			Path old = null;
			if (Files.exists(target)) {
				old = parent.resolve("." + target.getFileName() + ".old");
				deleteTree(old);
				Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
			}
			Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
			if (old != null) deleteTree(old);
		}
		catch (IOException | RuntimeException e) {
			try {
				deleteTree(tmp);
			}
			catch (IOException suppressed) {
				e.addSuppressed(suppressed);
			}
			throw e;
		}
	}

	/** Fills a folder. */
	@FunctionalInterface
	public interface FolderWriter {
		void write(Path folder) throws IOException;
	}

	/** Keeps the newest {@code keep} checkpoints (0 = all); returns the ones deleted. */
	public List<Path> prune(int keep) throws IOException {
		List<Path> all = checkpointList();
		List<Path> gone = new ArrayList<>();
		if (keep <= 0) return gone;
		for (int i = 0; i < all.size() - keep; i++) {
			deleteTree(all.get(i));
			gone.add(all.get(i));
		}
		return gone;
	}

	static void deleteTree(Path p) throws IOException {
		if (!Files.exists(p)) return;
		try (Stream<Path> s = Files.walk(p)) {
			for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
				try {
					Files.delete(q);
				}
				catch (NoSuchFileException ignored) {
					// already gone
				}
			}
		}
	}
}
