package io.github.diffusej.schedule;

import ai.djl.ndarray.NDArray;

/**
 * A denoising sampler (a diffusers scheduler used for inference), driven by step index.
 *
 * <p>The generation loop is:
 * <pre>{@code
 * sampler.setTimesteps(steps);
 * NDArray x = initialNoise.mul(sampler.initNoiseSigma());
 * double[] ts = sampler.timesteps();
 * for (int i = 0; i < ts.length; i++) {                  // ts.length may exceed steps (PNDM: steps + 1)
 *     NDArray in = sampler.scaleModelInput(x, i);         // duplicate for classifier-free guidance after this
 *     NDArray eps = unet(in, ts[i], text);                // ts[i] may be fractional (Euler)
 *     x = sampler.step(eps, i, x);
 * }
 * }</pre>
 * Steps must be taken in order 0, 1, 2, ... after {@link #setTimesteps}; samplers with history (DPM-Solver++,
 * PNDM) check this. {@link #reset()} (or {@code setTimesteps}) starts a new image. Results are created by the
 * manager of the {@code sample}/{@code modelOutput} arguments and have the sample's dtype and device;
 * callers close intermediates as usual (a sub-manager per step).
 */
public sealed interface Sampler permits DDIMScheduler, EulerDiscreteScheduler, EulerAncestralDiscreteScheduler,
	DPMSolverMultistepScheduler, PNDMScheduler {

	/** Computes the timestep (and sigma) tables for {@code numInferenceSteps} steps and clears the history. */
	void setTimesteps(int numInferenceSteps);

	/** The timesteps to feed the network, one per call of {@link #step}, in order. */
	double[] timesteps();

	/** The number of {@link #step} calls of one image: {@code timesteps().length}. */
	default int numSteps() {
		return timesteps().length;
	}

	/**
	 * The σ schedule, one entry longer than {@link #timesteps()} (the last is the σ after the final step); an empty
	 * array for samplers that are not σ-parameterised (DDIM, PNDM).
	 */
	default float[] sigmas() {
		return new float[0];
	}

	/** Standard deviation of the initial noise: multiply N(0, 1) latents by this before the first step. */
	default float initNoiseSigma() {
		return 1f;
	}

	/** The network input at step {@code stepIndex} (identity except for the Euler family: x/√(σ²+1)). */
	default NDArray scaleModelInput(NDArray sample, int stepIndex) {
		return sample;
	}

	/** One denoising step: the sample at the next (lower) noise level. */
	NDArray step(NDArray modelOutput, int stepIndex, NDArray sample);

	/** Forgets the history of multistep samplers; tables stay. */
	void reset();

	/** The config this sampler was built from, with the class defaults filled in. */
	SchedulerConfig config();
}
