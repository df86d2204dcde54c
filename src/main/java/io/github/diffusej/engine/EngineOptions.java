package io.github.diffusej.engine;

import java.util.Locale;

/**
 * How DiffuseJ starts DJL. Read from system properties, then environment variables, then defaults:
 *
 * <ul>
 * <li>{@code diffusej.device} / {@code DIFFUSEJ_DEVICE}: {@code auto} (GPU when one is usable, else CPU),
 * {@code cpu} or {@code gpu} (fail when no GPU is usable);</li>
 * <li>{@code diffusej.download} / {@code DIFFUSEJ_DOWNLOAD}: {@code true} lets DJL download the CUDA build of
 * libtorch 2.7.1 when a GPU is present (the only network access DiffuseJ ever makes; off by default);</li>
 * <li>{@code diffusej.threads} / {@code DIFFUSEJ_THREADS}: CPU threads for PyTorch, 0 = PyTorch's default.</li>
 * </ul>
 */
public record EngineOptions(DevicePreference device, boolean allowDownload, int threads) {

	public enum DevicePreference {
		AUTO, CPU, GPU;

		public static DevicePreference parse(String s) {
			try {
				return valueOf(s.trim().toUpperCase(Locale.ROOT));
			}
			catch (IllegalArgumentException e) {
				throw new IllegalArgumentException("device must be auto, cpu or gpu, not '" + s + "'");
			}
		}
	}

	public EngineOptions {
		if (device == null) device = DevicePreference.AUTO;
		if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, not " + threads);
	}

	public static EngineOptions defaults() {
		return new EngineOptions(DevicePreference.AUTO, false, 0);
	}

	/** Options from system properties and the environment. */
	public static EngineOptions fromEnvironment() {
		return new EngineOptions(DevicePreference.parse(setting("diffusej.device", "DIFFUSEJ_DEVICE", "auto")),
			Boolean.parseBoolean(setting("diffusej.download", "DIFFUSEJ_DOWNLOAD", "false")),
			Integer.parseInt(setting("diffusej.threads", "DIFFUSEJ_THREADS", "0")));
	}

	static String setting(String property, String env, String fallback) {
		String v = System.getProperty(property);
		if (v == null || v.isBlank()) v = System.getenv(env);
		return v == null || v.isBlank() ? fallback : v;
	}
}
