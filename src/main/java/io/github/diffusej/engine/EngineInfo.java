package io.github.diffusej.engine;

import ai.djl.Device;
import java.util.List;

/**
 * What was started: the line printed to the user, and the facts behind it.
 *
 * @param natives where libtorch came from: "bundled CPU", "PYTORCH_LIBRARY_PATH" or "downloaded CUDA"
 * @param gpusSeen NVIDIA GPUs visible to the operating system, whether or not the engine can use them
 */
public record EngineInfo(String engineVersion, String djlVersion, Device device, String flavor, String natives,
	int threads, int gpusSeen, List<String> warnings)
{

	/** One line for logs and the console, e.g. {@code PyTorch 2.7.1 (DJL 0.36.0, cpu), device cpu(), 2 threads}. */
	public String oneLine() {
		StringBuilder sb = new StringBuilder("DiffuseJ engine: PyTorch ").append(engineVersion).append(" (DJL ")
			.append(djlVersion).append(", ").append(flavor).append(" natives from ").append(natives).append("), device ")
			.append(device).append(", ").append(threads).append(threads == 1 ? " thread" : " threads");
		for (String w : warnings) sb.append(" | WARNING: ").append(w);
		return sb.toString();
	}

	public boolean onGpu() {
		return device.isGpu();
	}
}
