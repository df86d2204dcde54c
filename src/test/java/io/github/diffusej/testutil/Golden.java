package io.github.diffusej.testutil;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates {@code ../shared/golden}, the reference tensors made by diffusers/transformers.
 * Tests that need them call {@link #dir()}: when the folder is absent the test is skipped with a loud message
 * (never silently passed), or fails where the run says the golden data are required.
 */
public final class Golden {

	private Golden() {}

	/** Set by {@code .ci/run}: without the golden data the suite fails instead of skipping half of itself. */
	public static final String REQUIRED_PROPERTY = "diffusej.golden.required";
	/** The environment variable that does the same as {@link #REQUIRED_PROPERTY} ({@code .ci/run} sets it). */
	public static final String REQUIRED_ENV = "DIFFUSEJ_GOLDEN_REQUIRED";

	/** Whether a missing golden folder must fail (CI) rather than skip. */
	static boolean required() {
		return Boolean.getBoolean(REQUIRED_PROPERTY) || "true".equalsIgnoreCase(System.getenv(REQUIRED_ENV));
	}

	/**
	 * The golden folder, or a skipped test with a message saying where it was looked for; when
	 * {@value #REQUIRED_PROPERTY} is {@code true} (CI) a missing folder fails the test instead.
	 */
	public static Path dir() {
		Path dir = Path.of(System.getProperty("diffusej.golden", "../shared/golden")).toAbsolutePath().normalize();
		if (!Files.isDirectory(dir)) {
			if (required()) fail("GOLDEN DATA MISSING: " + dir + " does not exist, and -D"
				+ REQUIRED_PROPERTY + "=true says the parity tests must run (CI). Check out the shared folder beside "
				+ "the project or pass -Ddiffusej.golden=PATH");
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
