/** DiffuseJ: train and run Stable Diffusion adapters from Fiji. */
package io.github.diffusej;
