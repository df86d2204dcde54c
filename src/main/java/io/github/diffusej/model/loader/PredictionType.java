package io.github.diffusej.model.loader;

/** What the UNet predicts, spelled as diffusers' {@code prediction_type}. */
public enum PredictionType {
	EPSILON("epsilon"), V_PREDICTION("v_prediction"), SAMPLE("sample");

	public final String configValue;

	PredictionType(String configValue) {
		this.configValue = configValue;
	}

	/** Parses a diffusers {@code prediction_type} (also {@code "v"}, as ModelSpec writes it). */
	public static PredictionType parse(String s) {
		if (s == null) return null;
		String v = s.trim().toLowerCase(java.util.Locale.ROOT);
		if (v.equals("v")) return V_PREDICTION;
		for (PredictionType p : values())
			if (p.configValue.equals(v)) return p;
		throw new IllegalArgumentException("unknown prediction type '" + s + "' (expected epsilon, v_prediction or sample)");
	}
}
