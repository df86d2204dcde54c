package io.github.diffusej.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the test classpath in a child JVM, so that a native abort (DJL's
 * {@code std::terminate} on some dtypes, a segfault) fails the test that started it instead of killing the test
 * runner. The child inherits the classpath and DJL's offline switch; its output is captured to a file.
 */
public final class ForkedJvm {

	private ForkedJvm() {}

	/**
	 * What the child did.
	 *
	 * @param exitCode the exit status (134 = SIGABRT, 139 = SIGSEGV, -1 = killed after the timeout)
	 * @param output stdout and stderr together
	 */
	public record Result(int exitCode, List<String> output, double seconds) {

		public boolean timedOut() {
			return exitCode == -1;
		}

		/** The last lines of the output, for failure messages. */
		public String tail(int lines) {
			return String.join("\n", output.subList(Math.max(0, output.size() - lines), output.size()));
		}
	}

	/** Runs {@code main} with {@code args} under {@code -Xmx<heapMb>m}; kills it after {@code timeoutSeconds}. */
	public static Result run(Class<?> main, int heapMb, long timeoutSeconds, String... args)
		throws IOException, InterruptedException
	{
		return run(main, heapMb, timeoutSeconds, List.of(), args);
	}

	/** {@link #run(Class, int, long, String...)} with extra JVM options (e.g. {@code -Dai.djl.pytorch.num_threads=1}). */
	public static Result run(Class<?> main, int heapMb, long timeoutSeconds, List<String> jvmOptions, String... args)
		throws IOException, InterruptedException
	{
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heapMb + "m", "-Dai.djl.offline=true",
			"-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path")));
		cmd.addAll(jvmOptions);
		String cache = System.getProperty("DJL_CACHE_DIR");
		if (cache != null) cmd.add("-DDJL_CACHE_DIR=" + cache);
		cmd.add(main.getName());
		cmd.addAll(List.of(args));
		Path log = Files.createTempFile("diffusej-fork-", ".log");
		try {
			long t0 = System.nanoTime();
			Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
			boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
			if (!done) {
				p.destroyForcibly();
				p.waitFor(30, TimeUnit.SECONDS);
			}
			double s = (System.nanoTime() - t0) / 1e9;
			List<String> out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
			return new Result(done ? p.exitValue() : -1, out, s);
		}
		finally {
			Files.deleteIfExists(log);
		}
	}
}
