package io.github.diffusej.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnginesTest {

	@Test
	void startsOfflineOnceAndReportsOneLine() {
		List<String> lines = new ArrayList<>();
		EngineInfo info = Engines.start(EngineOptions.defaults(), lines::add);
		assertEquals("true", System.getProperty("ai.djl.offline"));
		assertEquals("2.7.1", info.engineVersion());
		assertEquals("0.36.0", info.djlVersion());
		String line = info.oneLine();
		assertTrue(line.contains("PyTorch 2.7.1") && line.contains("device"), line);
		if (info.gpusSeen() == 0) assertEquals(Device.cpu(), info.device());
		else if (!info.onGpu()) assertTrue(line.contains("GPU is present but PyTorch runs on the CPU"), line);
		assertSame(info, Engines.start(EngineOptions.defaults(), lines::add), "the engine starts once");
		assertTrue(lines.size() <= 1);
	}

	@Test
	void preparedThreadRecordsNoGradients() throws Exception {
		Engines.start(EngineOptions.defaults(), msg -> {});
		Thread worker = new Thread(() -> {
			JniUtils.setGradMode(true);
			Engines.prepareThread();
			assertFalse(JniUtils.isGradMode());
			assertSame(ai.djl.engine.Engine.class.getClassLoader(), Thread.currentThread().getContextClassLoader());
		});
		List<Throwable> errors = new ArrayList<>();
		worker.setUncaughtExceptionHandler((t, e) -> errors.add(e));
		worker.start();
		worker.join();
		assertTrue(errors.isEmpty(), errors.toString());
	}

	@Test
	void oldJnaIsReportedWithTheFix() {
		String msg = JnaCheck.problem("3.2.7", "file:/Fiji.app/jars/jna-3.2.7.jar");
		assertNotNull(msg);
		assertTrue(msg.contains("3.2.7") && msg.contains("jna-3.2.7.jar") && msg.contains("Update"), msg);
		assertNull(JnaCheck.problem("5.14.0", "x"));
		assertNull(JnaCheck.problem(), "the JNA on our classpath is 5.x");
	}

	@Test
	void optionsAreValidated() {
		assertEquals(EngineOptions.DevicePreference.GPU, EngineOptions.DevicePreference.parse(" Gpu "));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> EngineOptions.DevicePreference.parse("tpu"));
		assertTrue(e.getMessage().contains("tpu"));
		assertThrows(IllegalArgumentException.class, () -> new EngineOptions(null, false, -1));
	}
}
