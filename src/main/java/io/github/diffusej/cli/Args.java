package io.github.diffusej.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} options of one subcommand. Repeatable options collect every value; an option the
 * subcommand does not know is an error naming the known ones.
 */
final class Args {

	private final String command;
	private final Map<String, List<String>> values = new LinkedHashMap<>();

	Args(String command, String[] args, Set<String> known, Set<String> flags) {
		this.command = command;
		for (int i = 0; i < args.length; i++) {
			String a = args[i];
			if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + a + "'");
			String name = a.substring(2);
			String value;
			int eq = name.indexOf('=');
			if (eq >= 0) {
				value = name.substring(eq + 1);
				name = name.substring(0, eq);
			}
			else if (flags.contains(name)) value = "true";
			else {
				if (i + 1 >= args.length) throw new IllegalArgumentException("--" + name + " needs a value");
				value = args[++i];
			}
			if (!known.contains(name) && !flags.contains(name)) throw new IllegalArgumentException("unknown option --" +
				name + " for '" + command + "'; known: --" + String.join(", --", known) +
				(flags.isEmpty() ? "" : ", --" + String.join(", --", flags)));
			values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
		}
	}

	boolean has(String name) {
		return values.containsKey(name);
	}

	String get(String name, String fallback) {
		List<String> v = values.get(name);
		return v == null ? fallback : v.get(v.size() - 1);
	}

	String required(String name) {
		String v = get(name, null);
		if (v == null) throw new IllegalArgumentException("--" + name + " is required");
		return v;
	}

	List<String> all(String name) {
		return values.getOrDefault(name, List.of());
	}

	Path path(String name, Path fallback) {
		String v = get(name, null);
		return v == null ? fallback : Path.of(v);
	}

	int integer(String name, int fallback) {
		String v = get(name, null);
		try {
			return v == null ? fallback : Integer.parseInt(v.trim());
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("--" + name + " must be an integer, not '" + v + "'");
		}
	}

	long longValue(String name, long fallback) {
		String v = get(name, null);
		try {
			return v == null ? fallback : Long.parseLong(v.trim());
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("--" + name + " must be an integer, not '" + v + "'");
		}
	}

	double number(String name, double fallback) {
		String v = get(name, null);
		try {
			return v == null ? fallback : Double.parseDouble(v.trim());
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("--" + name + " must be a number, not '" + v + "'");
		}
	}

	boolean flag(String name) {
		return Boolean.parseBoolean(get(name, "false"));
	}
}
