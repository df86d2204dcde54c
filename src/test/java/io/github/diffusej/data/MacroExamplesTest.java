package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.scijava.ItemIO;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import io.github.diffusej.fiji.BuildDatasetCommand;
import io.github.diffusej.fiji.CheckDatasetCommand;
import io.github.diffusej.fiji.EditDatasetCaptionsCommand;
import io.github.diffusej.fiji.OpenDatasetAsStackCommand;
import io.github.diffusej.fiji.SaveStackCaptionsCommand;

/**
 * The macros in {@code macros/} call our commands by menu label with field names as keys: a renamed field or a
 * misspelt choice would only show in Fiji, so each {@code run("Label", "key=value ...")} is checked here against
 * the command's {@code @Parameter} fields and choices.
 */
class MacroExamplesTest {

	private static final List<Class<?>> COMMANDS = List.of(BuildDatasetCommand.class, CheckDatasetCommand.class,
		EditDatasetCaptionsCommand.class, OpenDatasetAsStackCommand.class, SaveStackCaptionsCommand.class);

	private static final Pattern RUN = Pattern.compile("run\\(\"([^\"]+)\",\\s*((?:\"(?:[^\"\\\\]|\\\\.)*\"|[^;])*?)\\);",
		Pattern.DOTALL);
	private static final Pattern OPTION = Pattern.compile("([a-z_]+)=(\\[[^\\]]*\\]|\\S+)");

	private static Class<?> command(String label) {
		for (Class<?> c : COMMANDS) {
			String menu = c.getAnnotation(Plugin.class).menuPath();
			if (menu.substring(menu.lastIndexOf('>') + 1).equals(label)) return c;
		}
		return null;
	}

	/** Joins the string literals of a macro expression; variables become "X". */
	private static String literal(String expr) {
		StringBuilder sb = new StringBuilder();
		Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|([A-Za-z_][A-Za-z0-9_.()]*)").matcher(expr);
		while (m.find()) sb.append(m.group(1) != null ? m.group(1) : "X");
		return sb.toString();
	}

	@Test
	void everyMacroUsesRealFieldsAndChoices() throws Exception {
		Path dir = Path.of("macros");
		assertTrue(Files.isDirectory(dir), "macros/ not found from " + new File(".").getAbsolutePath());
		List<Path> macros;
		try (Stream<Path> s = Files.list(dir)) {
			macros = s.filter(p -> p.toString().endsWith(".ijm")).sorted().toList();
		}
		assertTrue(macros.size() >= 5, "macros: " + macros);
		int calls = 0;
		for (Path macro : macros) {
			Matcher m = RUN.matcher(Files.readString(macro));
			while (m.find()) {
				Class<?> cmd = command(m.group(1));
				if (cmd == null) continue; // an ImageJ command
				calls++;
				Map<String, String> opts = new LinkedHashMap<>();
				Matcher o = OPTION.matcher(literal(m.group(2)));
				while (o.find()) opts.put(o.group(1), o.group(2).startsWith("[") ? o.group(2).substring(1, o.group(2).length() - 1) : o.group(2));
				assertFalse(opts.isEmpty(), macro + ": no options in " + m.group());
				for (var e : opts.entrySet()) check(macro, cmd, e.getKey(), e.getValue());
			}
		}
		assertTrue(calls >= 6, "only " + calls + " DiffuseJ calls found");
	}

	private static void check(Path macro, Class<?> cmd, String key, String value) {
		Field f;
		try {
			f = cmd.getDeclaredField(key);
		}
		catch (NoSuchFieldException e) {
			fail(macro.getFileName() + ": " + cmd.getSimpleName() + " has no parameter '" + key + "'");
			return;
		}
		Parameter p = f.getAnnotation(Parameter.class);
		assertNotNull(p, macro + ": " + key + " is not a @Parameter");
		assertEquals(ItemIO.INPUT, p.type(), macro + ": " + key + " is not an input");
		if (p.choices().length > 0) {
			assertTrue(Arrays.asList(p.choices()).contains(value), macro.getFileName() + ": " + key + "=" + value
				+ " is not one of " + Arrays.toString(p.choices()));
		}
		Class<?> t = f.getType();
		try {
			if (t == int.class) Integer.parseInt(value);
			else if (t == long.class) Long.parseLong(value);
			else if (t == double.class) Double.parseDouble(value);
			else if (t == boolean.class) assertTrue(value.equals("true") || value.equals("false"), key + "=" + value);
		}
		catch (NumberFormatException e) {
			fail(macro.getFileName() + ": " + key + "=" + value + " is not a " + t);
		}
		if (key.equals("caption_template")) CaptionTemplate.parse(value);
	}
}
