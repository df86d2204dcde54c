package io.github.diffusej.export;

import io.github.diffusej.model.StableDiffusionModel;
import io.github.diffusej.schedule.PredictionType;

/**
 * The base-model names written into adapter files: kohya's {@code ss_base_model_version}
 * ({@code library/model_util.get_model_version_str_for_sd1_sd2}) and the ModelSpec 1.0.1 architecture prefix
 * ({@code stable-diffusion-v1}, {@code stable-diffusion-v2-512}, {@code stable-diffusion-v2-768-v}, to which
 * {@code /lora} or {@code /textual-inversion} is appended).
 */
public enum BaseModelVersion {
	SD_V1("sd_v1", "stable-diffusion-v1", false),
	/** SD 2.x with epsilon prediction (the 512-px base models). */
	SD_V2_512("sd_v2", "stable-diffusion-v2-512", false),
	/** SD 2.x with v-prediction (the 768-px models). */
	SD_V2_768_V("sd_v2_v", "stable-diffusion-v2-768-v", true);

	/** kohya {@code ss_base_model_version}. */
	public final String kohya;
	/** ModelSpec {@code modelspec.architecture} without the adapter suffix. */
	public final String modelSpec;
	public final boolean vPrediction;

	BaseModelVersion(String kohya, String modelSpec, boolean vPrediction) {
		this.kohya = kohya;
		this.modelSpec = modelSpec;
		this.vPrediction = vPrediction;
	}

	public boolean isV2() {
		return this != SD_V1;
	}

	/**
	 * The version of a loaded model: SD 2.x when its text encoder is 1024 wide (OpenCLIP-H), SD 1.x otherwise;
	 * for SD 2.x, 768-v when the scheduler predicts v.
	 */
	public static BaseModelVersion of(StableDiffusionModel model) {
		return of(model.textEncoder().config().hiddenSize(), model.schedulerConfig().prediction());
	}

	public static BaseModelVersion of(long textWidth, PredictionType prediction) {
		if (textWidth != 1024) return SD_V1;
		return prediction == PredictionType.V_PREDICTION ? SD_V2_768_V : SD_V2_512;
	}
}
