package io.github.diffusej.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.diffusej.engine.EngineInfo;
import io.github.diffusej.engine.EngineOptions;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.model.StableDiffusionModel;

/**
 * The process of one benchmark case: {@code BenchChild CASE MODEL WARMUPS REPEATS}. Prints progress on stderr and
 * one line {@code BENCH-RESULT {json}} on stdout; {@link BenchRunner} starts it and reads that line.
 */
public final class BenchChild {

	static final String RESULT = "BENCH-RESULT ";

	private BenchChild() {}

	public static void main(String[] args) throws Exception {
		if (args.length != 4) {
			System.err.println("usage: BenchChild CASE MODEL WARMUPS REPEATS");
			System.exit(2);
		}
		String model = args[1];
		BenchCase bc = BenchCases.named(args[0], model.equals(BenchContext.TINY));
		EngineInfo info = Engines.start(EngineOptions.fromEnvironment(), System.err::println);
		Engines.prepareThread();
		Device device = info.device();
		DataType dtype = StableDiffusionModel.defaultDtype(device);
		JsonObject o = new JsonObject();
		try (BenchContext c = new BenchContext(model, device, dtype, Integer.parseInt(args[2]), Integer.parseInt(args[3]))) {
			BenchCase.Outcome out = bc.body().run(c, c.warmups(bc.warmups()), c.repeats(bc.repeats()));
			JsonArray s = new JsonArray();
			out.seconds().forEach(s::add);
			o.add("seconds", s);
			JsonArray cpu = new JsonArray();
			c.cpuSeconds().forEach(cpu::add);
			o.add("cpuSeconds", cpu);
			o.addProperty("flops", out.flops());
			o.addProperty("setupRss", c.setupRss());
			o.addProperty("peakGpu", c.peakGpu());
			o.addProperty("note", String.join("; ", c.notes()));
			JsonObject metrics = new JsonObject();
			c.metrics().forEach(metrics::addProperty);
			o.add("metrics", metrics);
		}
		o.addProperty("peakRss", ProcessMemory.peakRss());
		o.addProperty("device", device.toString());
		o.addProperty("dtype", dtype.toString());
		o.addProperty("threads", info.threads());
		o.addProperty("engine", info.oneLine());
		System.out.println(RESULT + o);
		System.out.flush();
		System.exit(0); // DJL's native threads must not keep the process alive
	}
}
