package io.github.diffusej.schedule;

import java.util.Arrays;
import java.util.List;

/**
 * The samplers offered to users, with A1111-style labels for choice lists, and the factory that builds each from
 * a model's {@code scheduler_config.json} (any key the file lacks takes the chosen class's own default, as
 * {@code Cls.from_config(cfg)} does in diffusers).
 */
public enum SamplerKind {
	DDIM("DDIM"),
	EULER("Euler"),
	EULER_A("Euler a"),
	DPMPP_2M("DPM++ 2M"),
	DPMPP_2M_KARRAS("DPM++ 2M Karras"),
	PNDM("PLMS");

	private final String label;

	SamplerKind(String label) {
		this.label = label;
	}

	/** The user-facing name ("DPM++ 2M Karras"). */
	public String label() {
		return label;
	}

	/** All labels, in menu order. */
	public static List<String> labels() {
		return Arrays.stream(values()).map(SamplerKind::label).toList();
	}

	/** The kind with this label or enum name (case-insensitive); fails listing the valid labels. */
	public static SamplerKind fromLabel(String s) {
		for (SamplerKind k : values())
			if (k.label.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) return k;
		throw new IllegalArgumentException("unknown sampler '" + s + "'; choose one of " + labels());
	}

	/** Builds the sampler; stochastic kinds (Euler a) draw from the engine's generator. */
	public Sampler create(SchedulerConfig config) {
		return create(config, NoiseSource.engine());
	}

	/** Builds the sampler with the given noise source (used by Euler a only). */
	public Sampler create(SchedulerConfig config, NoiseSource noise) {
		return switch (this) {
			case DDIM -> new DDIMScheduler(config);
			case EULER -> new EulerDiscreteScheduler(config);
			case EULER_A -> new EulerAncestralDiscreteScheduler(config, noise);
			case DPMPP_2M -> new DPMSolverMultistepScheduler(config.withKarrasSigmas(false));
			case DPMPP_2M_KARRAS -> new DPMSolverMultistepScheduler(config.withKarrasSigmas(true));
			case PNDM -> new PNDMScheduler(config.withSkipPrkSteps(true));
		};
	}

	/** Whether the sampler draws noise during sampling. */
	public boolean stochastic() {
		return this == EULER_A;
	}
}
