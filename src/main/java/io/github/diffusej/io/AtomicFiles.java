package io.github.diffusej.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The one way DiffuseJ writes files: a reader only ever sees the old file or the complete new one. Data goes to a
 * temporary sibling, is forced to disk, then renamed over the target, and the folder entry is forced too. A
 * failure (disk full, cancel) removes the temporary file and leaves any existing target untouched.
 *
 * <p>Permissions: the temporary file is created the ordinary way, so the user's umask and the folder's default
 * ACL apply (a shared project folder stays readable by colleagues), not the owner-only 0600 that
 * {@code Files.createTempFile} forces; a file that is replaced keeps its permissions. Temporary folders for
 * staged datasets ({@link #createTempDirectory}) get the umask the same way instead of 0700.
 */
public final class AtomicFiles {

	private static final SecureRandom RANDOM = new SecureRandom();

	private AtomicFiles() {}

	/** What fills the temporary file. */
	@FunctionalInterface
	public interface Content {
		void write(FileChannel channel) throws IOException;
	}

	/** What fills the temporary file, through a stream. */
	@FunctionalInterface
	public interface StreamContent {
		void write(OutputStream out) throws IOException;
	}

	/** Writes {@code target} atomically, replacing it when it exists. */
	public static void write(Path target, Content content) throws IOException {
		write(target, content, true);
	}

	/**
	 * Writes {@code target} atomically, but only if it does not exist yet: otherwise a
	 * {@link FileAlreadyExistsException} is thrown and nothing is changed. The check and the rename are one step
	 * (a hard link) where the file system supports it, so two writers cannot both win.
	 */
	public static void writeNew(Path target, Content content) throws IOException {
		write(target, content, false);
	}

	private static void write(Path target, Content content, boolean replace) throws IOException {
		Path abs = target.toAbsolutePath();
		Path dir = abs.getParent();
		if (dir != null) Files.createDirectories(dir);
		if (!replace && Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS))
			throw new FileAlreadyExistsException(abs.toString(), null, "exists already; not overwritten");
		Path tmp = createTempFile(dir, abs.getFileName().toString());
		boolean done = false;
		try {
			try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
				content.write(ch);
				ch.force(true);
			}
			if (replace) {
				keepPermissions(abs, tmp);
				move(tmp, abs);
			}
			else publishNew(tmp, abs);
			done = true;
			syncFolder(dir);
		}
		catch (FileAlreadyExistsException e) {
			throw e;
		}
		catch (IOException e) {
			throw new IOException("could not write " + abs + ": " + e.getMessage(), e);
		}
		finally {
			if (!done) Files.deleteIfExists(tmp);
		}
	}

	/** Atomically writes bytes produced through an output stream. */
	public static void writeStream(Path target, StreamContent content) throws IOException {
		write(target, stream(content));
	}

	/** {@link #writeStream} that refuses to replace an existing file, like {@link #writeNew}. */
	public static void writeNewStream(Path target, StreamContent content) throws IOException {
		writeNew(target, stream(content));
	}

	private static Content stream(StreamContent content) {
		return ch -> {
			OutputStream out = Channels.newOutputStream(ch);
			content.write(out);
			out.flush();
		};
	}

	public static void writeString(Path target, String text) throws IOException {
		writeStream(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
	}

	/**
	 * A new, empty, hidden folder in {@code parent} ({@code prefix} + random suffix), created with the user's
	 * umask rather than the 0700 of {@code Files.createTempDirectory}, for content that is renamed into place.
	 */
	public static Path createTempDirectory(Path parent, String prefix) throws IOException {
		Files.createDirectories(parent);
		for (int attempt = 0; ; attempt++) {
			Path p = parent.resolve(prefix + randomSuffix());
			try {
				return Files.createDirectory(p);
			}
			catch (FileAlreadyExistsException e) {
				if (attempt > 100) throw e;
			}
		}
	}

	/** A temporary sibling created the ordinary way (umask and default ACL apply). */
	private static Path createTempFile(Path dir, String name) throws IOException {
		String base = "." + (name.length() > 100 ? name.substring(0, 100) : name) + ".";
		for (int attempt = 0; ; attempt++) {
			Path p = (dir == null ? Path.of("") : dir).resolve(base + randomSuffix() + ".tmp");
			try {
				Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
				return p;
			}
			catch (FileAlreadyExistsException e) {
				if (attempt > 100) throw e;
			}
		}
	}

	private static String randomSuffix() {
		byte[] b = new byte[6];
		RANDOM.nextBytes(b);
		return HexFormat.of().formatHex(b);
	}

	/** A replaced file keeps its permissions (someone may have made it group-readable on purpose). */
	private static void keepPermissions(Path existing, Path tmp) {
		PosixFileAttributeView from = Files.getFileAttributeView(existing, PosixFileAttributeView.class);
		PosixFileAttributeView to = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
		if (from == null || to == null || !Files.isRegularFile(existing)) return;
		try {
			to.setPermissions(from.readAttributes().permissions());
		}
		catch (IOException | UnsupportedOperationException e) {
			// the new file keeps the umask's permissions; not worth failing the write for
		}
	}

	static void move(Path from, Path to) throws IOException {
		try {
			Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (AtomicMoveNotSupportedException e) {
			Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
		}
	}

	/** Puts the finished file at {@code target} only if nothing is there: a hard link fails when it exists. */
	private static void publishNew(Path tmp, Path target) throws IOException {
		try {
			Files.createLink(target, tmp);
			Files.delete(tmp);
		}
		catch (FileAlreadyExistsException e) {
			throw new FileAlreadyExistsException(target.toString(), null, "exists already; not overwritten");
		}
		catch (UnsupportedOperationException | IOException e) {
			// no hard links here (FAT, some network shares): a plain rename after a check
			if (Files.exists(target)) throw new FileAlreadyExistsException(target.toString(), null,
				"exists already; not overwritten");
			Files.move(tmp, target);
		}
	}

	/** Forces the folder entry of a rename to disk (POSIX); silently skipped where folders cannot be opened. */
	private static void syncFolder(Path dir) {
		if (dir == null) return;
		try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
			ch.force(true);
		}
		catch (IOException | RuntimeException e) {
			// Windows and some file systems cannot open a folder; the data itself was forced already
		}
	}
}
