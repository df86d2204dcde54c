/**
 * Noise schedules and samplers, at numerical parity with diffusers v0.25.1.
 *
 * <h2>Training (DDPM forward process)</h2>
 * <pre>{@code
 * NoiseSchedule q = NoiseSchedule.of(SchedulerConfig.read(model.resolve("scheduler/scheduler_config.json")));
 * NDArray t = ...;                                    // int64 [B], uniform in 0 .. q.numTrainTimesteps()-1
 * NDArray noisy = q.addNoise(latents, noise, t);      // √ᾱ_t·x0 + √(1−ᾱ_t)·ε, per sample
 * NDArray target = q.target(latents, noise, t);       // ε, or v for v_prediction models, or x0
 * NDArray loss = unet(noisy, t, text).sub(target).pow(2).mean();
 * }</pre>
 * All of it is plain NDArray arithmetic in the dtype/device of the latents, so gradients flow.
 *
 * <h2>Generation</h2>
 * <pre>{@code
 * Sampler s = SamplerKind.fromLabel("DPM++ 2M Karras").create(config, seededNoise);
 * s.setTimesteps(steps);
 * NDArray x = initialNoise.mul(s.initNoiseSigma());
 * double[] ts = s.timesteps();                        // PLMS: steps + 1 entries; Euler: fractional values
 * for (int i = 0; i < ts.length; i++) {
 *     NDArray in = s.scaleModelInput(x, i);
 *     NDArray u = unet(in.concat(in), ts[i], negAndPos); // classifier-free guidance on the scaled input
 *     NDArray eps = uncond + g·(cond − uncond);
 *     x = s.step(eps, i, x);
 * }
 * }</pre>
 * Steps are taken in order; multistep samplers (DPM-Solver++, PLMS) keep what they need from earlier steps in
 * their own {@code History} and free it after the last step, on {@code reset()} and on {@code setTimesteps}.
 *
 * <p>Precision: tables (β, ᾱ, timesteps, σ) reproduce the reference's float32/float64 arithmetic bit for bit;
 * step coefficients are float32 scalars computed as the reference's 0-d float32 tensors. DDIM, Euler and PLMS
 * trajectories are bit-identical to the golden files; DPM-Solver++ differs by float32 rounding of log/exp
 * (PyTorch uses SLEEF kernels, Java correctly rounded ones), about 1 ulp per step.
 */
package io.github.diffusej.schedule;
