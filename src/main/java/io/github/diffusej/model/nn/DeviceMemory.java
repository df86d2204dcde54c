package io.github.diffusej.model.nn;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Free memory of the device a computation runs on, for sizing work chunks: on a GPU what CUDA reports free, on
 * the CPU the kernel's {@code MemAvailable}, lowered by the container's cgroup limit when one is set. Unknown
 * (0) where neither can be read.
 */
public final class DeviceMemory {

	private DeviceMemory() {}

	/** Bytes that can still be allocated on {@code device} without swapping or running out; 0 when unknown. */
	public static long free(Device device) {
		if (device.isGpu()) {
			try {
				var u = CudaUtils.getGpuMemory(device);
				return u.getMax() - u.getUsed();
			}
			catch (RuntimeException | LinkageError e) {
				return 0;
			}
		}
		long avail = meminfoAvailable();
		long cg = cgroupFree();
		return cg > 0 && (avail == 0 || cg < avail) ? cg : avail;
	}

	private static long meminfoAvailable() {
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

	/** cgroup v2 {@code memory.max - memory.current}, or 0 without a limit. */
	private static long cgroupFree() {
		try {
			Path dir = Path.of("/sys/fs/cgroup");
			String max = Files.readString(dir.resolve("memory.max")).trim();
			if (max.equals("max")) return 0;
			long cur = Long.parseLong(Files.readString(dir.resolve("memory.current")).trim());
			return Math.max(1, Long.parseLong(max) - cur);
		}
		catch (IOException | RuntimeException e) {
			return 0;
		}
	}
}
