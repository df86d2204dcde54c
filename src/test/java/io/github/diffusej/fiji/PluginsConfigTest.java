package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.plugin.PlugIn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every plugins.config line names an ImageJ 1.x PlugIn class that exists. */
class PluginsConfigTest {

	@Test
	void entriesNameRealPlugins() throws IOException, ClassNotFoundException {
		List<String> lines = Files.readAllLines(Path.of("plugins.config")).stream()
			.filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
		assertTrue(!lines.isEmpty());
		Pattern p = Pattern.compile("^[^,]+,\\s*\"[^\"]+\",\\s*([\\w.]+)(\\(\"[^\"]*\"\\))?\\s*$");
		for (String l : lines) {
			Matcher m = p.matcher(l);
			assertTrue(m.matches(), "malformed plugins.config line: " + l);
			Class<?> c = Class.forName(m.group(1));
			assertTrue(PlugIn.class.isAssignableFrom(c), c + " is no ImageJ PlugIn");
		}
		assertTrue(getClass().getResource("/plugins.config") != null, "plugins.config is packaged on the classpath");
	}
}
