package io.github.diffusej.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one atomic writer: permissions from the umask, replaced files keep theirs, no-overwrite writes, cleanup. */
class AtomicFilesTest {

	@TempDir
	Path tmp;

	static boolean posix() {
		return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
	}

	@Test
	void newFilesAndFoldersGetTheUmaskNotOwnerOnly() throws IOException {
		assumeTrue(posix(), "POSIX permissions only");
		Path probe = Files.createFile(tmp.resolve("probe"));
		Path probeDir = Files.createDirectory(tmp.resolve("probe-dir"));
		Path written = tmp.resolve("a.txt");
		AtomicFiles.writeString(written, "hello");
		assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(written),
			"the umask applies, as for any file the user creates");
		Path staged = AtomicFiles.createTempDirectory(tmp, ".x.partial-");
		assertEquals(Files.getPosixFilePermissions(probeDir), Files.getPosixFilePermissions(staged));
		assertTrue(staged.getFileName().toString().startsWith(".x.partial-"));
		// with the usual umask 022 a colleague can read the result (Files.createTempFile would give rw-------)
		if (Files.getPosixFilePermissions(probe).contains(PosixFilePermission.OTHERS_READ))
			assertTrue(Files.getPosixFilePermissions(written).contains(PosixFilePermission.OTHERS_READ));
	}

	@Test
	void aReplacedFileKeepsItsPermissions() throws IOException {
		assumeTrue(posix(), "POSIX permissions only");
		Path p = tmp.resolve("shared.json");
		AtomicFiles.writeString(p, "{}");
		Set<PosixFilePermission> chosen = PosixFilePermissions.fromString("rw-rw----");
		Files.setPosixFilePermissions(p, chosen);
		AtomicFiles.writeString(p, "{\"a\":1}");
		assertEquals(chosen, Files.getPosixFilePermissions(p));
		assertEquals("{\"a\":1}", Files.readString(p));
	}

	@Test
	void writeNewNeverReplaces() throws IOException {
		Path p = tmp.resolve("image-0000-1.png");
		AtomicFiles.writeNew(p, ch -> ch.write(ByteBuffer.wrap("first".getBytes(StandardCharsets.UTF_8))));
		FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.writeNew(p,
			ch -> ch.write(ByteBuffer.wrap("second".getBytes(StandardCharsets.UTF_8)))));
		assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
		assertArrayEquals("first".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(p));
		try (Stream<Path> l = Files.list(tmp)) {
			assertFalse(l.anyMatch(x -> x.getFileName().toString().endsWith(".tmp")), "no temporary file left");
		}
	}

	@Test
	void aFailedWriteLeavesNothingBehind() throws IOException {
		Path p = tmp.resolve("sub/dir/x.bin");
		assertThrows(IOException.class, () -> AtomicFiles.write(p, ch -> {
			throw new IOException("No space left on device");
		}));
		assertFalse(Files.exists(p));
		try (Stream<Path> l = Files.list(p.getParent())) {
			assertEquals(0, l.count(), "the temporary file was removed");
		}
	}
}
