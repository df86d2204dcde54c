package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import io.github.diffusej.schedule.NoiseSchedule;
import io.github.diffusej.schedule.PredictionType;

/**
 * The denoising loss of the diffusers training scripts: the mean squared error between the UNet's prediction
 * and the target, per image, then weighted and averaged over the batch. Without mask and weights this is
 * {@code F.mse_loss(pred, target, reduction="mean")}.
 *
 * <ul>
 * <li>A mask [B, 1, h, w] restricts each image's error to its masked area, normalised by that area
 * ({@code sum(m (pred - target)^2) / (C sum(m))}), so a small mask does not make a small loss.</li>
 * <li>Min-SNR weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy", eq. 9
 * and its v-prediction form as in diffusers): {@code w = min(SNR, gamma) / SNR} for epsilon and
 * {@code min(SNR, gamma) / (SNR + 1)} for v-prediction, with {@code SNR = abar_t / (1 - abar_t)}.</li>
 * <li>Per-image weights (regularisation images) multiply the image's loss.</li>
 * </ul>
 *
 * @param minSnrGamma 0 for no SNR weighting
 */
public record DiffusionLoss(NoiseSchedule schedule, PredictionType prediction, double minSnrGamma) {

	/** The weight of each image: min-SNR times the given per-image weight. Null when all are 1. */
	public double[] weights(long[] timesteps, double[] imageWeights) {
		if (minSnrGamma <= 0 && imageWeights == null) return null;
		double[] w = new double[timesteps.length];
		for (int i = 0; i < w.length; i++) {
			double s = 1;
			if (minSnrGamma > 0) {
				double ab = schedule.alphaCumprod((int) timesteps[i]);
				double snr = ab / (1 - ab);
				s = Math.min(snr, minSnrGamma) / (prediction == PredictionType.V_PREDICTION ? snr + 1 : snr);
			}
			w[i] = s * (imageWeights == null ? 1 : imageWeights[i]);
		}
		return w;
	}

	/** The scalar loss, in the dtype of {@code pred}; results belong to {@code pred}'s manager. */
	public NDArray compute(NDArray pred, NDArray target, NDArray mask, long[] timesteps, double[] imageWeights) {
		NDArray err = pred.sub(target).square(); // [B, C, h, w]
		double[] w = weights(timesteps, imageWeights);
		if (mask == null && w == null) return err.mean();
		NDArray perImage; // [B]
		// DJL's PyTorch mean reduces one axis only: flatten each image first
		if (mask == null) perImage = err.reshape(err.getShape().get(0), -1).mean(new int[] {1});
		else {
			long c = err.getShape().get(1);
			NDArray area = mask.sum(new int[] {1, 2, 3}).mul(c).maximum(1e-6);
			perImage = err.mul(mask).sum(new int[] {1, 2, 3}).div(area);
		}
		if (w != null) {
			float[] wf = new float[w.length];
			for (int i = 0; i < w.length; i++) wf[i] = (float) w[i];
			NDArray wa = pred.getManager().create(wf).toType(pred.getDataType(), false);
			if (!wa.getDevice().equals(pred.getDevice())) wa = wa.toDevice(pred.getDevice(), false);
			perImage = perImage.mul(wa);
		}
		return perImage.mean();
	}

	/** The regression target for the prediction type ({@code noise}, or v). */
	public NDArray target(NDArray latents, NDArray noise, NDArray timesteps) {
		return schedule.target(prediction, latents, noise, timesteps);
	}
}
