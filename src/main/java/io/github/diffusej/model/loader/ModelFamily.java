package io.github.diffusej.model.loader;

import io.github.diffusej.schedule.PredictionType;

/**
 * The Stable Diffusion generations this project loads. SDXL is recognised by the loaders only to refuse it with a
 * clear message.
 */
public enum ModelFamily {
	/** SD 1.x: CLIP ViT-L/14 text encoder, 768-wide cross-attention, epsilon prediction. */
	SD1("sd1", 768, PredictionType.EPSILON),
	/**
	 * SD 2.x: OpenCLIP ViT-H/14 text encoder (23 of its 24 blocks used), 1024-wide cross-attention, linear
	 * {@code proj_in}. The default prediction type is v-prediction (SD 2.0/2.1 768-v); the 512-base models use
	 * epsilon, which the weights do not reveal: callers override it through {@link LoadOptions#predictionType()}.
	 */
	SD2("sd2", 1024, PredictionType.V_PREDICTION);

	/** Folder of the bundled default configs under {@code io/github/diffusej/model/configs/}. */
	public final String configFolder;
	/** Width of the text encoder output that the UNet's cross-attention reads. */
	public final int contextWidth;
	public final PredictionType defaultPrediction;

	ModelFamily(String configFolder, int contextWidth, PredictionType defaultPrediction) {
		this.configFolder = configFolder;
		this.contextWidth = contextWidth;
		this.defaultPrediction = defaultPrediction;
	}
}
