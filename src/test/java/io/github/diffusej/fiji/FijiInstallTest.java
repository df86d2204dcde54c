package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A Fiji.app folder filled by {@code mvn install -Dscijava.app.directory=DIR}: the plugin jar with its
 * plugins.config in plugins/, the libraries in jars/, the CPU libtorch of each platform in its platform folder, no
 * logging provider of ours; then ImageJ started on that folder under Xvfb lists Plugins &gt; DiffuseJ in workflow
 * order and the screenshot of the open menu is saved (for the README: {@code -Ddiffusej.screenshot=docs/fiji-menu.png}).
 * {@code .ci/run} installs into a temporary folder and runs this test with {@code -Ddiffusej.app.dir}; the normal
 * test run has no installed folder and skips it.
 */
@EnabledIfSystemProperty(named = "diffusej.app.dir", matches = ".+")
class FijiInstallTest {

	static Path app() {
		return Path.of(System.getProperty("diffusej.app.dir"));
	}

	static List<Path> jars(Path dir) throws Exception {
		if (!Files.isDirectory(dir)) return List.of();
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
		}
	}

	static List<String> names(List<Path> jars) {
		return jars.stream().map(p -> p.getFileName().toString()).toList();
	}

	@Test
	void theFolderHasTheLayoutFijiExpects() throws Exception {
		List<Path> plugins = jars(app().resolve("plugins"));
		assertEquals(1, plugins.size(), plugins.toString());
		assertTrue(names(plugins).get(0).matches("DiffuseJ_-.*\\.jar"), "ImageJ reads plugin jars whose name holds '_'");
		try (ZipFile z = new ZipFile(plugins.get(0).toFile())) {
			assertNotNull(z.getEntry("plugins.config"));
			assertNotNull(z.getEntry("META-INF/json/org.scijava.plugin.Plugin"), "the SciJava plugin index");
		}
		List<String> jars = names(jars(app().resolve("jars")));
		for (String prefix : List.of("api-0.36", "pytorch-engine-", "pytorch-jni-", "tokenizers-", "picocli-", "gson-",
			"jna-5", "scijava-common-", "ij-1.54"))
			assertTrue(jars.stream().anyMatch(j -> j.startsWith(prefix)), prefix + " in jars/: " + jars);
		assertFalse(jars.stream().anyMatch(j -> j.startsWith("slf4j-simple") || j.startsWith("slf4j-nop") ||
			j.startsWith("logback") || j.startsWith("junit") || j.startsWith("pytorch-native")), jars.toString());
		for (String[] p : new String[][] {{"linux64", "linux-x86_64"}, {"linux-arm64", "linux-aarch64"},
			{"win64", "win-x86_64"}, {"macos-arm64", "osx-aarch64"}})
			assertEquals(List.of("pytorch-native-cpu-2.7.1-" + p[1] + ".jar"), names(jars(app().resolve("jars").resolve(p[0]))),
				"jars/" + p[0]);
	}

	@Test
	void imageJOnTheFolderListsTheMenuInWorkflowOrder() throws Exception {
		Path png = Path.of(System.getProperty("diffusej.screenshot", "target/fiji-menu.png")).toAbsolutePath();
		Files.createDirectories(png.getParent());
		List<String> cp = new ArrayList<>();
		cp.add(Path.of("target/test-classes").toAbsolutePath().toString()); // the bridge only; DiffuseJ from the folder
		for (Path j : jars(app().resolve("plugins"))) cp.add(j.toString());
		for (Path j : jars(app().resolve("jars"))) cp.add(j.toString());
		for (Path j : jars(app().resolve("jars/linux64"))) cp.add(j.toString());
		List<String> cmd = new ArrayList<>(List.of("timeout", "180"));
		if (System.getenv("DISPLAY") == null) cmd.addAll(List.of("xvfb-run", "-a", "-s", "-screen 0 1024x768x24"));
		cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
			"-Duser.home=" + Files.createTempDirectory("fiji-home"), "-cp", String.join(File.pathSeparator, cp),
			FijiMenuScreenshot.class.getName(), app().toString(), png.toString()));
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes());
		assertTrue(p.waitFor(4, TimeUnit.MINUTES));
		assertEquals(0, p.exitValue(), out);
		List<String> menu = out.lines().filter(l -> l.startsWith("MENU: ")).map(l -> l.substring(6)).toList();
		assertEquals(DiffuseJMenu.entries().stream().map(DiffuseJMenu.Entry::label).toList(), menu, out);
		assertTrue(out.contains("ABOUT-PLUGINS: io.github.diffusej.fiji.AboutDiffuseJ"),
			"plain ImageJ read plugins.config from the installed jar: " + out);
		assertTrue(Files.size(png) > 5_000, png + " holds the screenshot");
	}
}
