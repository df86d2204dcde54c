package io.github.diffusej.schedule;

/** What the denoising network predicts ({@code prediction_type} in diffusers). */
public enum PredictionType {
	/** The added noise ε (SD 1.x, SD 2.x base). */
	EPSILON("epsilon"),
	/** The velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans &amp; Ho 2022, eq. 7; SD 2.x 768-v). */
	V_PREDICTION("v_prediction"),
	/** The clean sample x₀. */
	SAMPLE("sample");

	private final String configName;

	PredictionType(String configName) {
		this.configName = configName;
	}

	/** The string used in {@code scheduler_config.json}. */
	public String configName() {
		return configName;
	}

	public static PredictionType of(String configName) {
		for (PredictionType p : values())
			if (p.configName.equals(configName)) return p;
		throw new IllegalArgumentException("unknown prediction_type '" + configName
			+ "' (expected epsilon, v_prediction or sample)");
	}

	/**
	 * Like {@link #of} but also accepts {@code "v"} (as ModelSpec metadata writes it), any case and surrounding
	 * blanks; null stays null.
	 */
	public static PredictionType parse(String s) {
		if (s == null) return null;
		String v = s.trim().toLowerCase(java.util.Locale.ROOT);
		return v.equals("v") ? V_PREDICTION : of(v);
	}
}
