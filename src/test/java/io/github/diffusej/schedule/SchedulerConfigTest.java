package io.github.diffusej.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.testutil.Golden;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads tiny-sd1's {@code scheduler_config.json}; checks class defaults against {@code summary.json}. */
class SchedulerConfigTest {

	@TempDir
	Path tmp;

	@Test
	void readsTheSd15StyleFileKeepingAbsentKeysAbsent() throws IOException {
		SchedulerConfig c = GoldenTrajectory.sd1Config();
		assertEquals("PNDMScheduler", c.className());
		assertEquals(1000, c.numTrainTimesteps());
		assertEquals(0.00085, c.betaStart());
		assertEquals(0.012, c.betaEnd());
		assertEquals("scaled_linear", c.betaSchedule());
		assertEquals(1, c.stepsOffset());
		assertEquals(false, c.setAlphaToOne());
		assertEquals(true, c.skipPrkSteps());
		assertEquals(false, c.clipSample());
		assertNull(c.trainedBetas());
		assertNull(c.timestepSpacing(), "absent in SD configs: each class uses its own default");
		assertNull(c.predictionType());
		assertEquals(List.of(), c.unknownKeys());
	}

	/** Every effective config diffusers reported must equal ours for the keys this port uses. */
	@Test
	void classDefaultsEqualDiffusersEffectiveConfigs() throws IOException {
		JsonObject summary = JsonParser.parseString(Files.readString(Golden.vectors("summary.json")))
			.getAsJsonObject().getAsJsonObject("schedulers");
		Map<String, SchedulerConfig.Family> families = Map.of("ddpm_add_noise", SchedulerConfig.Family.DDPM, "ddim",
			SchedulerConfig.Family.DDIM, "euler", SchedulerConfig.Family.EULER, "dpmpp2m",
			SchedulerConfig.Family.DPM_MULTISTEP, "dpmpp2m_karras", SchedulerConfig.Family.DPM_MULTISTEP, "pndm",
			SchedulerConfig.Family.PNDM);
		int compared = 0;
		for (var e : families.entrySet()) {
			SchedulerConfig c = GoldenTrajectory.sd1Config();
			if (e.getKey().equals("dpmpp2m_karras")) c = c.withKarrasSigmas(true);
			c = c.withDefaultsOf(e.getValue());
			JsonObject eff = summary.getAsJsonObject(e.getKey()).getAsJsonObject("effective_config");
			Map<String, Object> ours = new java.util.HashMap<>();
			ours.put("timestep_spacing", c.timestepSpacing());
			ours.put("steps_offset", c.stepsOffset());
			ours.put("prediction_type", c.predictionType());
			ours.put("clip_sample", c.clipSample());
			ours.put("set_alpha_to_one", c.setAlphaToOne());
			ours.put("skip_prk_steps", c.skipPrkSteps());
			ours.put("use_karras_sigmas", c.useKarrasSigmas());
			ours.put("solver_order", c.solverOrder());
			ours.put("algorithm_type", c.algorithmType());
			ours.put("solver_type", c.solverType());
			ours.put("lower_order_final", c.lowerOrderFinal());
			ours.put("euler_at_final", c.eulerAtFinal());
			ours.put("interpolation_type", c.interpolationType());
			ours.put("timestep_type", c.timestepType());
			ours.put("thresholding", c.thresholding());
			ours.put("rescale_betas_zero_snr", c.rescaleBetasZeroSnr());
			ours.put("beta_schedule", c.betaSchedule());
			ours.put("num_train_timesteps", c.numTrainTimesteps());
			for (var k : ours.entrySet()) {
				JsonElement ref = eff.get(k.getKey());
				if (ref == null) continue; // not a parameter of that class
				Object v = k.getValue();
				String refText = ref.isJsonNull() ? "null" : ref.getAsString();
				assertEquals(refText, String.valueOf(v), e.getKey() + "." + k.getKey());
				compared++;
			}
		}
		assertTrue(compared > 50, "compared " + compared + " values");
	}

	private Path write(String json) throws IOException {
		Path p = tmp.resolve("scheduler_config.json");
		Files.writeString(p, json);
		return p;
	}

	@Test
	void unknownValuesFailNamingFileKeyAndChoices() throws IOException {
		Path p = write("{\"beta_schedule\": \"cosine\"}");
		var ex = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p));
		assertTrue(ex.getMessage().contains(p.toString()), ex.getMessage());
		assertTrue(ex.getMessage().contains("beta_schedule"), ex.getMessage());
		assertTrue(ex.getMessage().contains("scaled_linear"), "lists the accepted values: " + ex.getMessage());

		Path p2 = write("{\"timestep_spacing\": \"uniform\"}");
		var ex2 = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p2));
		assertTrue(ex2.getMessage().contains(p2.toString()) && ex2.getMessage().contains("timestep_spacing"));

		Path p3 = write("{\"prediction_type\": \"eps\"}");
		var ex3 = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p3));
		assertTrue(ex3.getMessage().contains(p3.toString()) && ex3.getMessage().contains("v_prediction"));
	}

	@Test
	void wrongTypesAndBrokenJsonFailNamingTheFile() throws IOException {
		Path p = write("{\"steps_offset\": \"1\"}");
		var ex = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p));
		assertTrue(ex.getMessage().contains(p.toString()) && ex.getMessage().contains("steps_offset"), ex.getMessage());
		Path p2 = write("{\"num_train_timesteps\": 1000.5}");
		assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p2));
		Path p3 = write("{\"clip_sample\": \"false\"}");
		assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p3));
		Path p4 = write("{\"beta_start\": 0.1,");
		var ex4 = assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p4));
		assertTrue(ex4.getMessage().contains(p4.toString()), ex4.getMessage());
		Path p5 = write("[1, 2]");
		assertThrows(IllegalArgumentException.class, () -> SchedulerConfig.read(p5));
	}

	@Test
	void unsupportedButValidOptionsFailWhenUsedNamingTheFile() throws IOException {
		Path p = write("{\"algorithm_type\": \"sde-dpmsolver++\", \"thresholding\": true}");
		SchedulerConfig c = SchedulerConfig.read(p);
		var ex = assertThrows(IllegalArgumentException.class, () -> new DPMSolverMultistepScheduler(c));
		assertTrue(ex.getMessage().contains(p.toString()) && ex.getMessage().contains("sde-dpmsolver++"), ex.getMessage());
		var ex2 = assertThrows(IllegalArgumentException.class, () -> new DDIMScheduler(c));
		assertTrue(ex2.getMessage().contains("thresholding"), ex2.getMessage());
	}

	@Test
	void unknownKeysAreReportedNotFatalAndMetadataIsIgnored() throws IOException {
		Path p = write("{\"_class_name\": \"X\", \"_diffusers_version\": \"0.9\", \"foo\": 1, \"beta_end\": 0.012}");
		SchedulerConfig c = SchedulerConfig.read(p);
		assertEquals(List.of("foo"), c.unknownKeys());
		assertEquals(0.012, c.betaEnd());
		assertEquals(Double.NEGATIVE_INFINITY,
			SchedulerConfig.read(write("{\"lambda_min_clipped\": \"-inf\"}")).lambdaMinClipped());
	}

	@Test
	void trainedBetasMustMatchTheTrainLength() throws IOException {
		SchedulerConfig c = SchedulerConfig.read(write("{\"trained_betas\": [0.1, 0.2], \"num_train_timesteps\": 3}"));
		var ex = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.of(c));
		assertTrue(ex.getMessage().contains("trained_betas"), ex.getMessage());
		SchedulerConfig ok = SchedulerConfig.read(write("{\"trained_betas\": [0.1, 0.2], \"num_train_timesteps\": 2}"));
		assertEquals(0.9f * 0.8f, NoiseSchedule.of(ok).alphaCumprod(1), 1e-7f);
	}
}
