package io.github.diffusej.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.loader.SafetensorsWeightSource;
import io.github.diffusej.model.vae.AutoencoderKL;
import io.github.diffusej.model.vae.DiagonalGaussianDistribution;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Golden parity with diffusers 0.25.1 on tiny-sd1: {@code tiny-sd1/vectors/vae.safetensors}. */
class AutoencoderKLTest {

	static AutoencoderKL load(NDManager m, DataType dt) throws IOException {
		Path dir = Golden.tinySd1Model().resolve("vae");
		AutoencoderKL vae = AutoencoderKL.fromConfig(dir);
		try (SafetensorsWeightSource w = SafetensorsWeightSource.openFolder(dir)) {
			vae.loadWeights(w, m, dt);
		}
		return vae;
	}

	@Test
	void matchesDiffusersGolden() throws IOException {
		try (NDManager m = NDManager.newBaseManager(); SafetensorsFile g = SafetensorsFile.open(
			Golden.vectors("vae.safetensors")))
		{
			AutoencoderKL vae = load(m, DataType.FLOAT32);
			Compare.allClose("moments", vae.moments(g.load("image", m)), g.load("moments", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
			DiagonalGaussianDistribution d = vae.encode(g.load("image", m));
			Compare.allClose("mean", d.mean(), g.load("mean", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
			Compare.allClose("logvar", d.logvar(), g.load("logvar", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
			Compare.allClose("std", d.std(), g.load("std", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
			Compare.allClose("decoded", vae.decode(g.load("decode_latents", m)), g.load("decoded", m), Compare.PARITY_ATOL, Compare.PARITY_RTOL);
		}
	}
}
