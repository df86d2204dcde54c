package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.scijava.ItemIO;
import org.scijava.plugin.Parameter;
import org.scijava.service.Service;

/** The shipped macros pass exactly the commands' input fields (macro keys of SciJava commands are field names). */
class MacroKeysTest {

	static Set<String> macroKeys(String file) throws IOException {
		String text = Files.readString(Path.of("macros", file));
		Set<String> keys = new TreeSet<>();
		Matcher m = Pattern.compile("\"\\s*([a-z_]+)=").matcher(text);
		while (m.find()) keys.add(m.group(1));
		return keys;
	}

	static Set<String> inputs(Class<?> command) {
		Set<String> names = new TreeSet<>();
		for (Field f : command.getDeclaredFields()) {
			Parameter p = f.getAnnotation(Parameter.class);
			if (p == null || p.type() == ItemIO.OUTPUT || Service.class.isAssignableFrom(f.getType())) continue;
			names.add(f.getName());
		}
		return names;
	}

	@Test
	void generateImagesMacroPassesEveryInput() throws IOException {
		assertEquals(inputs(GenerateImagesCommand.class), macroKeys("generate_images.ijm"));
	}

	@Test
	void showPromptTokensMacroPassesEveryInput() throws IOException {
		assertEquals(inputs(ShowPromptTokensCommand.class), macroKeys("show_prompt_tokens.ijm"));
	}

	@Test
	void runNamesAreTheMenuLabels() throws IOException {
		for (String[] m : new String[][] {{"generate_images.ijm", "Generate Images"}, {"show_prompt_tokens.ijm",
			"Show Prompt Tokens"}})
			assertEquals(1, Arrays.stream(Files.readString(Path.of("macros", m[0])).split("\n"))
				.filter(l -> l.startsWith("run(\"" + m[1] + "\"")).count(), m[0]);
	}
}
