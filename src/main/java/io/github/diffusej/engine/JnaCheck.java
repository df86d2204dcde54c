package io.github.diffusej.engine;

/**
 * Detects the JNA that some Fiji installations still ship (3.x): DJL needs JNA 5, and with an older one CUDA
 * detection silently fails ({@code NoSuchMethodError: Native.load}).
 */
public final class JnaCheck {

	private JnaCheck() {}

	/** A message naming the problem and the fix, or null when JNA is fine. */
	public static String problem() {
		String version;
		String where;
		try {
			Class<?> nat = Class.forName("com.sun.jna.Native");
			var field = nat.getField("VERSION"); // declared on a package-private interface
			field.setAccessible(true);
			version = String.valueOf(field.get(null));
			var src = nat.getProtectionDomain().getCodeSource();
			where = src == null ? "unknown location" : src.getLocation().toString();
		}
		catch (ClassNotFoundException e) {
			return "JNA is missing: install jna 5.x (Fiji: Help > Update... keeps jars/jna-5.*.jar)";
		}
		catch (ReflectiveOperationException e) {
			return "JNA is unusable (" + e + "): install jna 5.x";
		}
		return problem(version, where);
	}

	static String problem(String version, String where) {
		int major;
		try {
			major = Integer.parseInt(version.split("\\.")[0].trim());
		}
		catch (NumberFormatException e) {
			return null;
		}
		if (major >= 5) return null;
		return "JNA " + version + " (" + where + ") is too old: DJL needs JNA 5 or newer and cannot detect CUDA GPUs " +
			"with it. Remove the old jna jar from Fiji's jars/ folder and keep jna-5.x (run Help > Update...).";
	}
}
