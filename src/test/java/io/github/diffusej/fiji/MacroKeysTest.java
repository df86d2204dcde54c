package io.github.diffusej.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ij.ImagePlus;
import ij.Macro;
import io.github.diffusej.data.CaptionTemplate;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.plugin.Parameter;
import org.scijava.service.Service;

/**
 * Macro keys of every DiffuseJ command (the field names, as imagej-legacy resolves them and the recorder writes
 * them), replayed through ImageJ's own {@code Macro.getValue}, and every {@code run(...)} of the shipped macros
 * checked against the commands' fields, choices and types.
 */
class MacroKeysTest {

	/** The commands under Plugins > DiffuseJ, from the plugin index (new commands are covered automatically). */
	static List<Class<?>> commands() throws ClassNotFoundException {
		List<Class<?>> out = new ArrayList<>();
		for (DiffuseJMenu.Entry e : DiffuseJMenu.entries()) out.add(Class.forName(e.className()));
		assertTrue(out.size() >= 8, out.toString());
		return out;
	}

	/** The macro keys of a command, in declaration order: inputs that are neither services nor headings. */
	static List<Field> keys(Class<?> command) {
		List<Field> out = new ArrayList<>();
		for (Field f : command.getDeclaredFields()) {
			Parameter p = f.getAnnotation(Parameter.class);
			if (p == null || p.type() == ItemIO.OUTPUT || p.visibility() == ItemVisibility.MESSAGE) continue;
			if (Service.class.isAssignableFrom(f.getType())) continue;
			out.add(f);
		}
		return out;
	}

	static List<String> names(List<Field> fields) {
		return fields.stream().map(Field::getName).toList();
	}

	@Test
	void noKeyIsTheTailOfAnother() throws Exception {
		for (Class<?> c : commands()) {
			List<String> keys = names(keys(c));
			for (String a : keys)
				for (String b : keys)
					if (!a.equals(b)) assertFalse(b.endsWith("_" + a), c.getSimpleName() + ": macro key '" + a +
						"' is found inside '" + b + "=' by Macro.getValue");
		}
	}

	/**
	 * Builds the options a recording writes (every key, distinct values, brackets where needed), in declaration order
	 * and reversed, and reads each key back with ImageJ's Macro.getValue: it must find its own value.
	 */
	@Test
	void everyKeyReadsBackItsOwnValue() throws Exception {
		for (Class<?> c : commands()) {
			List<String> keys = names(keys(c));
			for (boolean reversed : new boolean[] {false, true}) {
				List<String> order = new ArrayList<>(keys);
				if (reversed) Collections.reverse(order);
				StringBuilder options = new StringBuilder();
				Map<String, String> values = new LinkedHashMap<>();
				for (int i = 0; i < order.size(); i++) {
					String v = i % 2 == 0 ? "value" + i : "a value " + i; // half of them bracketed
					values.put(order.get(i), v);
					options.append(order.get(i)).append('=').append(v.contains(" ") ? "[" + v + "]" : v).append(' ');
				}
				for (String k : order) assertEquals(values.get(k), Macro.getValue(options.toString(), k, null),
					c.getSimpleName() + ": key '" + k + "' is captured by another key in: " + options);
			}
		}
	}

	private static final Pattern RUN = Pattern.compile("run\\(\"([^\"]+)\",\\s*((?:\"(?:[^\"\\\\]|\\\\.)*\"|[^;])*?)\\);",
		Pattern.DOTALL);
	private static final Pattern OPTION = Pattern.compile("([a-z_]+)=(\\[[^\\]]*\\]|\\S+)");

	/** Joins the string literals of a macro expression; variables and calls become "X". */
	static String literal(String expr) {
		StringBuilder sb = new StringBuilder();
		Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|([A-Za-z_][A-Za-z0-9_.]*(?:\\([^)]*\\))?)").matcher(expr);
		while (m.find()) sb.append(m.group(1) != null ? m.group(1) : "X");
		return sb.toString();
	}

	/** The expression assigned to a macro variable ({@code options = "a=" + x + " b=1";}). */
	static String assigned(String text, String variable) {
		Matcher m = Pattern.compile("\\b" + variable + "\\s*=\\s*((?:\"(?:[^\"\\\\]|\\\\.)*\"|[^;])*);").matcher(text);
		assertTrue(m.find(), "no assignment to " + variable);
		return m.group(1);
	}

	static Map<String, Class<?>> byLabel() throws ClassNotFoundException {
		Map<String, Class<?>> out = new LinkedHashMap<>();
		for (DiffuseJMenu.Entry e : DiffuseJMenu.entries()) out.put(e.label(), Class.forName(e.className()));
		return out;
	}

	@Test
	void everyShippedMacroPassesEveryKeyWithValidValues() throws Exception {
		List<Path> macros;
		try (Stream<Path> s = Files.list(Path.of("macros"))) {
			macros = s.filter(p -> p.toString().endsWith(".ijm")).sorted().toList();
		}
		assertTrue(macros.size() >= 11, macros.toString());
		Map<String, Class<?>> commands = byLabel();
		TreeSet<String> used = new TreeSet<>();
		for (Path macro : macros) {
			String text = Files.readString(macro);
			assertFalse(text.contains("<nuclei>") || text.contains("<organoid>") || text.contains("<he-tissue>") ||
				text.contains("<mitotic-cell>"), macro + ": the examples share one trigger, <my-cell>");
			Matcher m = RUN.matcher(text);
			int calls = 0;
			while (m.find()) {
				Class<?> cmd = commands.get(m.group(1));
				if (cmd == null) continue; // one of ImageJ's own commands
				calls++;
				used.add(m.group(1));
				Map<String, String> opts = new LinkedHashMap<>();
				String expr = m.group(2).strip();
				if (expr.matches("[A-Za-z_][A-Za-z0-9_]*")) expr = assigned(text, expr); // run("...", options)
				Matcher o = OPTION.matcher(literal(expr));
				while (o.find()) opts.put(o.group(1), o.group(2).startsWith("[") ? o.group(2).substring(1,
					o.group(2).length() - 1) : o.group(2));
				List<String> missing = new ArrayList<>();
				for (Field f : keys(cmd))
					if (!opts.containsKey(f.getName()) && f.getType() != ImagePlus.class) missing.add(f.getName());
				assertEquals(List.of(), missing, macro.getFileName() + " " + m.group(1) + " does not pass every key");
				for (var e : opts.entrySet()) check(macro, cmd, e.getKey(), e.getValue());
			}
			assertTrue(calls > 0, macro + " runs no DiffuseJ command");
		}
		assertTrue(used.containsAll(List.of("Build Captioned Dataset", "Check Dataset", "Open Dataset as Stack",
			"Save Stack Captions to Dataset", "Train Textual Inversion", "Train LoRA", "Generate Images",
			"Show Prompt Tokens")), used.toString());
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
		if (value.contains("X")) return; // built from a macro variable: checked when the macro runs (MacrosRunTest)
		if (p.choices().length > 0) assertTrue(Arrays.asList(p.choices()).contains(value), macro.getFileName() + ": " +
			key + "=" + value + " is not one of " + Arrays.toString(p.choices()));
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

	@Test
	void menuIsInWorkflowOrderWithAboutLast() throws Exception {
		List<DiffuseJMenu.Entry> entries = DiffuseJMenu.entries();
		List<String> labels = entries.stream().map(DiffuseJMenu.Entry::label).toList();
		assertEquals("Build Captioned Dataset", labels.get(0));
		assertEquals("About DiffuseJ", labels.get(labels.size() - 1));
		// dataset, train, generate, tools
		List<String> order = List.of("Save Stack Captions to Dataset", "Train Textual Inversion", "Train LoRA",
			"Generate Images", "Show Prompt Tokens");
		for (int i = 1; i < order.size(); i++) assertTrue(labels.indexOf(order.get(i - 1)) >= 0
			&& labels.indexOf(order.get(i - 1)) < labels.indexOf(order.get(i)), order.get(i - 1) + " before "
			+ order.get(i) + " in " + labels);
		List<String> about = AboutDiffuseJ.report();
		for (String l : labels) assertTrue(about.stream().anyMatch(a -> a.startsWith("  " + l)), l + " in About");
		List<String> training = entries.stream().filter(AboutDiffuseJ::isTraining).map(DiffuseJMenu.Entry::label).toList();
		assertEquals(List.of("Train Textual Inversion", "Train LoRA"), training);
		for (DiffuseJMenu.Entry e : entries) assertEquals(e.label().startsWith("Train "), AboutDiffuseJ.isTraining(e),
			e.label() + " is in the training range of the menu exactly when it trains");
		assertTrue(about.stream().anyMatch(a -> a.startsWith("Training: Train Textual Inversion, Train LoRA (")),
			"About names the training commands: " + about);
		assertFalse(about.stream().anyMatch(a -> a.contains("not part of this build")), about.toString());
		// a build without training commands says so, and claims none
		List<String> without = AboutDiffuseJ.commands(entries.stream().filter(e -> !AboutDiffuseJ.isTraining(e)).toList());
		assertTrue(without.stream().anyMatch(a -> a.startsWith("Training (textual inversion, LoRA) is not part of this build")),
			without.toString());
		assertFalse(without.stream().anyMatch(a -> a.startsWith("Training:") || a.startsWith("  Train ")), without.toString());
	}

	@Test
	void optionalPathsDoNotPersist() throws Exception {
		for (Class<?> c : commands())
			for (Field f : keys(c)) {
				Parameter p = f.getAnnotation(Parameter.class);
				if (f.getType() == java.io.File.class && !p.required()) assertFalse(p.persist(), c.getSimpleName() + "." +
					f.getName() + ": an optional path must not persist (a blank would come back as the current folder)");
			}
	}

	@Test
	void datasetInputsAreFolderChoosers() throws Exception {
		for (Class<?> c : List.of(EditDatasetCaptionsCommand.class, OpenDatasetAsStackCommand.class,
			CheckDatasetCommand.class))
			assertEquals("directory", c.getDeclaredField("dataset").getAnnotation(Parameter.class).style(), c.getName());
	}

	@Test
	void macroFilesReadTheirArguments() throws IOException {
		// every shipped macro can run without a dialog of its own, from the command line: it reads getArgument()
		try (Stream<Path> s = Files.list(Path.of("macros"))) {
			for (Path p : s.filter(x -> x.toString().endsWith(".ijm")).toList())
				assertTrue(Files.readString(p).contains("getArgument()"), p.toString());
		}
	}
}
