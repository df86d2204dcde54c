package io.github.diffusej.testutil;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/golden}, the reference tensors made by diffusers/transformers.
 * Tests that need them call {@link #dir()}: when the folder is absent the test is skipped with a loud message
 * (never silently passed).
 */
public final class Golden {

	private Golden() {}

	/** The golden folder, or a skipped test with a message saying where it was looked for. */
	public static Path dir() {
		Path dir = Path.of(System.getProperty("diffusej.golden", "../shared/golden")).toAbsolutePath().normalize();
		if (!Files.isDirectory(dir)) {
			String msg = "\n!!!!!!!! GOLDEN DATA MISSING: " + dir + " does not exist; parity test SKIPPED. "
				+ "Check out the shared folder beside the project or pass -Ddiffusej.golden=PATH !!!!!!!!\n";
			System.err.println(msg);
			assumeTrue(false, msg);
		}
		return dir;
	}

	public static Path tinySd1Model() {
		return dir().resolve("tiny-sd1/model");
	}

	public static Path vectors(String file) {
		return dir().resolve("tiny-sd1/vectors").resolve(file);
	}
}
