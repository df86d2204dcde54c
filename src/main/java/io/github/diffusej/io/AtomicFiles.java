package io.github.diffusej.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader only ever sees the old file or the complete new one: data goes to a temporary
 * sibling, is forced to disk, then renamed over the target. A failure (disk full, cancel) removes the temporary
 * file and leaves any existing target untouched.
 */
public final class AtomicFiles {

	private AtomicFiles() {}

	/** What fills the temporary file. */
	@FunctionalInterface
	public interface Content {
		void write(FileChannel channel) throws IOException;
	}

	public static void write(Path target, Content content) throws IOException {
		Path abs = target.toAbsolutePath();
		Path dir = abs.getParent();
		if (dir != null) Files.createDirectories(dir);
		Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
		boolean done = false;
		try {
			try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
				content.write(ch);
				ch.force(true);
			}
			try {
				Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException e) {
				Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
			}
			done = true;
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
		write(target, ch -> {
			OutputStream out = java.nio.channels.Channels.newOutputStream(ch);
			content.write(out);
			out.flush();
		});
	}

	@FunctionalInterface
	public interface StreamContent {
		void write(OutputStream out) throws IOException;
	}

	public static void writeString(Path target, String text) throws IOException {
		writeStream(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
	}
}
