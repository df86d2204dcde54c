package io.github.diffusej.bench;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory figures of a process from Linux's {@code /proc} (0 where it is not available), and of a GPU from the CUDA
 * runtime. Peak RSS is the kernel's high-water mark ({@code VmHWM}), the figure {@code ru_maxrss} reports, so it
 * compares with peak RSS measured for Python processes.
 */
public final class ProcessMemory {

	private ProcessMemory() {}

	/** Resident set size of this process in bytes. */
	public static long rss() {
		return status("self", "VmRSS:");
	}

	/** Peak resident set size of this process in bytes. */
	public static long peakRss() {
		return status("self", "VmHWM:");
	}

	/** Resident set size of another process in bytes (0 once it has gone). */
	public static long rss(long pid) {
		return status(Long.toString(pid), "VmRSS:");
	}

	private static long status(String pid, String field) {
		try {
			for (String l : Files.readAllLines(Path.of("/proc", pid, "status"))) {
				if (l.startsWith(field)) return 1024 * Long.parseLong(l.replaceAll("[^0-9]", ""));
			}
		}
		catch (IOException | RuntimeException e) {
			// not Linux, or the process has exited
		}
		return 0;
	}

	/**
	 * CPU seconds this process has used so far, all threads (user + system, from {@code /proc/self/stat}), or NaN
	 * where that is not available. On a shared machine this is steadier than wall time.
	 */
	public static double cpuSeconds() {
		try {
			String st = Files.readString(Path.of("/proc/self/stat"));
			String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
			return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // clock ticks: USER_HZ is 100 on Linux
		}
		catch (IOException | RuntimeException e) {
			return Double.NaN;
		}
	}

	/** Memory the system can still give without swapping ({@code MemAvailable}), in bytes; 0 when unknown. */
	public static long available() {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
				if (l.startsWith("MemAvailable:")) return 1024 * Long.parseLong(l.replaceAll("[^0-9]", ""));
			}
		}
		catch (IOException | RuntimeException e) {
			// not Linux
		}
		return 0;
	}

	/** Bytes in use on a GPU (all processes, as CUDA reports it), or 0 for the CPU. */
	public static long gpuUsed(Device device) {
		if (!device.isGpu()) return 0;
		return CudaUtils.getGpuMemory(device).getUsed();
	}
}
