package io.github.diffusej.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The one place that starts DJL for the whole plugin.
 *
 * <p>Policy: DiffuseJ never downloads anything unless the user opts in ({@code ai.djl.offline=true} is set before
 * the first DJL call). The CPU natives bundled with the plugin must never silently win over a CUDA GPU: when the
 * operating system shows an NVIDIA GPU but the engine came up on CPU, the report says so and names the fix
 * ({@code PYTORCH_LIBRARY_PATH} pointing at a libtorch 2.7.1 CUDA build, or {@code diffusej.download=true}).
 * Because DJL's native libraries bind to one classloader and engines are found through the thread context
 * classloader, every thread that touches DJL first calls {@link #prepareThread()}.
 */
public final class Engines {

	/** DJL's engine property files; hidden from DJL when the user asked for a CUDA download. */
	private static final String BUNDLED_NATIVES = "native/lib/pytorch.properties";

	private static EngineInfo info;

	private Engines() {}

	/** Starts the engine once with options from the environment; later calls return the same report. */
	public static EngineInfo start() {
		return start(EngineOptions.fromEnvironment(), msg -> {});
	}

	/**
	 * Starts the engine once. {@code log} receives the one-line report and any warning; later calls return
	 * the first report (the engine of a JVM cannot be changed once loaded).
	 */
	public static synchronized EngineInfo start(EngineOptions options, Consumer<String> log) {
		if (info != null) return info;
		List<String> warnings = new ArrayList<>();
		String jna = JnaCheck.problem();
		if (jna != null) warnings.add(jna);
		int gpusSeen = countNvidiaGpus();
		String override = EngineOptions.setting("PYTORCH_LIBRARY_PATH", "PYTORCH_LIBRARY_PATH", null);
		boolean download = options.allowDownload() && gpusSeen > 0 && override == null
			&& options.device() != EngineOptions.DevicePreference.CPU;
		if (!download) System.setProperty("ai.djl.offline", "true");
		else {
			System.setProperty("ai.djl.offline", "false");
			if (System.getProperty("PYTORCH_FLAVOR") == null && System.getenv("PYTORCH_FLAVOR") == null)
				System.setProperty("PYTORCH_FLAVOR", "cu128");
		}
		if (options.threads() > 0) {
			System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(options.threads()));
			System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
		}
		Thread t = Thread.currentThread();
		ClassLoader previous = t.getContextClassLoader();
		ClassLoader djl = Engine.class.getClassLoader();
		t.setContextClassLoader(download ? new HidingClassLoader(djl, BUNDLED_NATIVES) : djl);
		Engine engine;
		try {
			engine = Engine.getEngine("PyTorch");
		}
		catch (EngineException | IllegalArgumentException e) {
			throw new IllegalStateException("Could not start PyTorch through DJL: " + e.getMessage() +
				(download ? " (the CUDA libtorch download was enabled: is the network reachable?)" : "") +
				(override != null ? " (PYTORCH_LIBRARY_PATH=" + override + " must hold libtorch 2.7.1)" : ""), e);
		}
		finally {
			t.setContextClassLoader(download ? djl : previous);
		}
		if (options.threads() > 0) JniUtils.setNumThreads(options.threads());
		int usableGpus = engine.getGpuCount();
		Device device;
		if (options.device() == EngineOptions.DevicePreference.CPU) device = Device.cpu();
		else if (usableGpus > 0) device = Device.gpu();
		else if (options.device() == EngineOptions.DevicePreference.GPU) throw new IllegalStateException(
			"A GPU was requested (diffusej.device=gpu) but PyTorch sees none: " + gpuAdvice(gpusSeen));
		else device = Device.cpu();
		String natives = override != null ? "PYTORCH_LIBRARY_PATH" : download ? "downloaded CUDA" : "bundled CPU";
		String flavor = libtorchFlavor();
		if (gpusSeen > 0 && !device.isGpu() && options.device() != EngineOptions.DevicePreference.CPU)
			warnings.add("an NVIDIA GPU is present but PyTorch runs on the CPU: " + gpuAdvice(gpusSeen));
		info = new EngineInfo(engine.getVersion(), Engine.getDjlVersion(), device, flavor, natives,
			JniUtils.getNumThreads(), gpusSeen, Collections.unmodifiableList(warnings));
		log.accept(info.oneLine());
		return info;
	}

	/**
	 * Sets {@code ai.djl.offline=true} unless the user opted in to downloads: for DJL parts used before (or
	 * without) the engine, such as the tokenizers library, whose start-up would otherwise try the network.
	 */
	public static void ensureOffline() {
		if (System.getProperty("ai.djl.offline") == null && !EngineOptions.fromEnvironment().allowDownload())
			System.setProperty("ai.djl.offline", "true");
	}

	/** The report of the running engine, or null before {@link #start}. */
	public static synchronized EngineInfo info() {
		return info;
	}

	/** The device chosen at start (starting the engine if needed). */
	public static Device device() {
		return start().device();
	}

	/**
	 * Makes the calling thread safe for DJL inference: context classloader = DJL's loader, gradient recording
	 * off (PyTorch records graphs per thread, and Fiji runs each command on a fresh worker thread).
	 */
	public static void prepareThread() {
		Thread.currentThread().setContextClassLoader(Engine.class.getClassLoader());
		start();
		JniUtils.setGradMode(false);
	}

	private static String gpuAdvice(int gpusSeen) {
		return (gpusSeen > 0 ? gpusSeen + " NVIDIA GPU(s) visible; " : "no NVIDIA GPU visible; ") +
			"the bundled natives are CPU-only. Point PYTORCH_LIBRARY_PATH (with PYTORCH_FLAVOR=cu128) at a libtorch " +
			"2.7.1 CUDA directory, or allow the one-time download with -Ddiffusej.download=true " +
			"(DIFFUSEJ_DOWNLOAD=true); set diffusej.device=cpu to silence this.";
	}

	private static String libtorchFlavor() {
		try {
			String path = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
			String dir = Path.of(path).getFileName().toString(); // e.g. 2.7.1-20250812-cpu-linux-x86_64
			for (String part : dir.split("-"))
				if (part.equals("cpu") || part.startsWith("cu") || part.startsWith("rocm")) return part;
			return dir;
		}
		catch (RuntimeException e) {
			return "unknown";
		}
	}

	/** NVIDIA GPUs the kernel driver exposes; needs no CUDA runtime (so it also works with CPU natives). */
	static int countNvidiaGpus() {
		Path gpus = Path.of("/proc/driver/nvidia/gpus");
		if (!Files.isDirectory(gpus)) return 0;
		try (Stream<Path> s = Files.list(gpus)) {
			return (int) s.count();
		}
		catch (IOException e) {
			return 0;
		}
	}

	/** Delegates everything except the named resources, so DJL believes no natives are bundled. */
	private static final class HidingClassLoader extends ClassLoader {

		private final String hidden;

		HidingClassLoader(ClassLoader parent, String hidden) {
			super(parent);
			this.hidden = hidden;
		}

		@Override
		public URL getResource(String name) {
			return hidden.equals(name) ? null : super.getResource(name);
		}

		@Override
		public Enumeration<URL> getResources(String name) throws IOException {
			return hidden.equals(name) ? Collections.emptyEnumeration() : super.getResources(name);
		}
	}
}
