package io.github.diffusej.train.data;

import io.github.diffusej.data.DatasetException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of file contents, remembered per file while its size and modification time stay the same, so that a
 * latent-cache lookup does not read a large image every step. A file rewritten with the same size within the file
 * system's timestamp resolution would keep its old hash; a new run (a new {@code FileHashes}) always rehashes.
 */
public final class FileHashes {

	private record Entry(long size, long modified, String sha256) {}

	private final Map<Path, Entry> known = new ConcurrentHashMap<>();

	/** Lower-case hex SHA-256 of the file's bytes. */
	public String sha256(Path file) throws DatasetException {
		Path p = file.toAbsolutePath().normalize();
		try {
			BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
			long size = a.size();
			long modified = a.lastModifiedTime().toMillis();
			Entry e = known.get(p);
			if (e != null && e.size == size && e.modified == modified) return e.sha256;
			String h = hash(p);
			known.put(p, new Entry(size, modified, h));
			return h;
		}
		catch (IOException e) {
			throw new DatasetException(p + ": cannot read the file to hash it (" + e.getMessage() + ")", e);
		}
	}

	/** The hash of a file, read now (no memory). */
	public static String hash(Path file) throws IOException {
		MessageDigest md;
		try {
			md = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("every Java has SHA-256", e);
		}
		byte[] buf = new byte[1 << 16];
		try (InputStream in = Files.newInputStream(file)) {
			int n;
			while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
		}
		return HexFormat.of().formatHex(md.digest());
	}

	/** Hex SHA-256 of a UTF-8 string. */
	static String sha256(String text) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("every Java has SHA-256", e);
		}
	}
}
