package io.github.diffusej.model.adapter;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which layers a trainable LoRA adapts: UNet layers chosen by a preset or a module-path pattern, and the text
 * encoder's attention and MLP projections on or off.
 *
 * @param unetPreset {@link Preset#ATTENTION} or {@link Preset#EXTENDED}, or null when {@code unetPattern} is used
 * @param unetPattern a regular expression that must match a UNet module path in full (as PEFT's
 *        {@code target_modules} string does), e.g. {@code .*attn2\.to_(k|v)}; null for a preset
 * @param textEncoder whether the text encoder's {@link #TEXT_ENCODER_MODULES} are adapted too
 */
public record Targets(Preset unetPreset, Pattern unetPattern, boolean textEncoder) {

	/** UNet layer presets, by the last part of the module path. */
	public enum Preset {
		/** {@code to_q, to_k, to_v, to_out.0} of every attention (diffusers' and kohya's default). */
		ATTENTION(List.of("to_q", "to_k", "to_v", "to_out.0")),
		/** The attention projections plus the transformer and resnet layers invoke-training adds. */
		EXTENDED(List.of("to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
			"conv1", "conv2", "conv_shortcut", "time_emb_proj"));

		/** The module names (last path segments) this preset adapts. */
		public final List<String> modules;

		Preset(List<String> modules) {
			this.modules = modules;
		}
	}

	/** The text-encoder layers adapted when {@link #textEncoder()} is on (kohya's CLIPAttention and CLIPMLP). */
	public static final List<String> TEXT_ENCODER_MODULES = List.of("q_proj", "k_proj", "v_proj", "out_proj", "fc1",
		"fc2");

	public Targets {
		if ((unetPreset == null) == (unetPattern == null)) throw new IllegalArgumentException(
			"give either a UNet preset or a module pattern");
	}

	public static Targets attention() {
		return new Targets(Preset.ATTENTION, null, false);
	}

	public static Targets extended() {
		return new Targets(Preset.EXTENDED, null, false);
	}

	/** UNet layers whose module path matches {@code regex} in full. */
	public static Targets pattern(String regex) {
		try {
			return new Targets(null, Pattern.compile(regex), false);
		}
		catch (PatternSyntaxException e) {
			throw new IllegalArgumentException("target pattern '" + regex + "' is not a valid regular expression: "
				+ e.getDescription());
		}
	}

	/** {@code attention}, {@code extended} (case-insensitive), or else a module-path regular expression. */
	public static Targets parse(String s) {
		String t = s == null ? "" : s.trim();
		if (t.isEmpty()) throw new IllegalArgumentException("no LoRA targets given (attention, extended or a pattern)");
		return switch (t.toLowerCase(Locale.ROOT)) {
			case "attention" -> attention();
			case "extended" -> extended();
			default -> pattern(t);
		};
	}

	public Targets withTextEncoder(boolean on) {
		return new Targets(unetPreset, unetPattern, on);
	}

	/** Whether the UNet layer at {@code path} is a target. */
	public boolean unet(String path) {
		return unetPreset != null ? endsWithAny(path, unetPreset.modules) : unetPattern.matcher(path).matches();
	}

	/** Whether the text-encoder layer at {@code path} is a target. */
	public boolean textEncoder(String path) {
		return textEncoder && endsWithAny(path, TEXT_ENCODER_MODULES);
	}

	private static boolean endsWithAny(String path, List<String> names) {
		for (String n : names)
			if (path.equals(n) || path.endsWith("." + n)) return true;
		return false;
	}

	/** The preset name or pattern, plus " + text encoder" when it is on: for metadata and logs. */
	@Override
	public String toString() {
		String u = unetPreset != null ? unetPreset.name().toLowerCase(Locale.ROOT) : unetPattern.pattern();
		return textEncoder ? u + " + text encoder" : u;
	}
}
