package io.github.diffusej.generate;

import ai.djl.Device;
import io.github.diffusej.model.unet.UNet2DConditionConfig;
import io.github.diffusej.model.vae.AutoencoderKLConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Image size, batch and count bounded by a memory estimate for the model and this machine, before anything is
 * allocated, so that {@code --width 100000} is refused with what fits instead of growing until the kernel kills
 * the JVM (in Fiji, with the user's unsaved work).
 *
 * <p>The estimate, in {@code long} throughout, adds the weights to the larger of two working sets (the UNet and
 * the VAE never run at once):
 * <ul>
 * <li>UNet at its first level, over T = (H/f)(W/f) latent tokens and a guidance batch B: attention scores and
 * their softmax, 2·B·heads·T² floats (the attention kernel keeps every query chunk of a call until the step ends),
 * plus about 24 tensors of B·T·C₀ floats (skip connections, q/k/v/out, the feed-forward's 8·C₀ inner width);</li>
 * <li>VAE decoder: its mid-block attention over T tokens (2·T² floats) plus about 8 full-resolution tensors of
 * C·H·W floats, C its first block's channels (decoding runs in float32).</li>
 * </ul>
 * The available memory is the GPU's for a GPU device, else the machine's available memory (Linux
 * {@code MemAvailable}); {@code -Ddiffusej.memory=12g} overrides it. Finished images stay on the Java heap
 * (packed RGB, and a copy in an ImageJ stack), so {@code count} is bounded by the heap too.
 */
public final class GenerationLimits {

	private GenerationLimits() {}

	/** A memory estimate and what dominates it, for messages. */
	public record Estimate(long bytes, long weightBytes, long workingBytes, String dominant) {}

	/** The native image size of a model: {@code sample_size} x the VAE factor (512 for SD 1.5, 768 for SD 2.1 768-v). */
	public static int nativeSize(UNet2DConditionConfig unet, AutoencoderKLConfig vae) {
		int f = vaeFactor(vae);
		if (unet.sampleSize() != null) return (int) Math.min(Integer.MAX_VALUE, (long) unet.sampleSize() * f);
		return vae.sampleSize();
	}

	/** Pixels per latent pixel: 2^(VAE blocks - 1), 8 for SD. */
	public static int vaeFactor(AutoencoderKLConfig vae) {
		return 1 << (vae.blockOutChannels().size() - 1);
	}

	/** The estimate for one image of {@code width x height}; {@code guidance} doubles the UNet batch. */
	public static Estimate estimate(UNet2DConditionConfig unet, AutoencoderKLConfig vae, int width, int height,
		boolean guidance, long weightBytes, int computeBytes)
	{
		long f = vaeFactor(vae);
		long tokens = mul(ceil(width, f), ceil(height, f));
		long batch = guidance ? 2 : 1;
		long heads = unet.heads()[0];
		long c0 = unet.blockOutChannels().get(0);
		long scores = mul(mul(mul(2 * batch, heads), mul(tokens, tokens)), 4);
		long unetLinear = mul(mul(mul(24 * batch, tokens), c0), computeBytes);
		long vaeAttention = mul(mul(2, mul(tokens, tokens)), 4);
		long vaeLinear = mul(mul(mul(8, vae.blockOutChannels().get(0)), mul(width, height)), 4);
		long unetTotal = add(scores, unetLinear), vaeTotal = add(vaeAttention, vaeLinear);
		String dominant = unetTotal >= vaeTotal
			? "UNet attention over " + tokens + " latent tokens" + (guidance ? " with guidance" : "")
			: "VAE decoder at " + width + "x" + height + " pixels";
		long working = Math.max(unetTotal, vaeTotal);
		return new Estimate(add(weightBytes, working), weightBytes, working, dominant);
	}

	/**
	 * Refuses a request whose images cannot fit: native memory for one image (the weights counted when they are
	 * not loaded yet), Java heap for all finished images. The message says what fits.
	 *
	 * @param weightsLoaded true when the model's weights already take memory (they are then not added again)
	 */
	public static void check(GenerationRequest r, UNet2DConditionConfig unet, AutoencoderKLConfig vae, long weightBytes,
		boolean weightsLoaded, int computeBytes, Device device)
	{
		boolean guidance = r.guidance() > 1.0;
		long available = availableBytes(device);
		long counted = weightsLoaded ? 0 : weightBytes;
		Estimate e = estimate(unet, vae, r.width(), r.height(), guidance, counted, computeBytes);
		if (e.bytes() > available) {
			int fits = largestSquare(unet, vae, guidance, counted, computeBytes, available);
			throw new IllegalArgumentException(r.width() + "x" + r.height() + " needs about " + gb(e.bytes()) + " for "
				+ "this model (" + (counted > 0 ? gb(counted) + " of weights, " : "") + e.dominant() + ") but "
				+ where(device) + " has about " + gb(available) + (fits > 0 ? "; the largest square size that fits is about "
				+ fits + "x" + fits + " (native size " + nativeSize(unet, vae) + ")" : "; not even the smallest size fits")
				+ ". Set -Ddiffusej.memory=<size> if this estimate is wrong for your machine.");
		}
		long perImage = mul(mul(r.width(), r.height()), 4 * 2);
		long heap = Runtime.getRuntime().maxMemory();
		long total = mul(perImage, r.count());
		if (mul(r.width(), r.height()) > Integer.MAX_VALUE / 4) throw new IllegalArgumentException(r.width() + "x"
			+ r.height() + " is more pixels than one Java image holds (at most " + Integer.MAX_VALUE / 4 + ")");
		if (total > heap / 2) {
			long fit = Math.max(0, heap / 2 / Math.max(1, perImage));
			throw new IllegalArgumentException(r.count() + " images of " + r.width() + "x" + r.height() + " need about "
				+ gb(total) + " of Java heap for the finished images and their stack, but this JVM's heap is "
				+ gb(heap) + " (-Xmx; Fiji: Edit > Options > Memory & Threads): at most " + fit + " images of this size "
				+ "fit in one request");
		}
	}

	/** The largest multiple of 8 x the VAE factor whose square fits in {@code available}, or 0. */
	static int largestSquare(UNet2DConditionConfig unet, AutoencoderKLConfig vae, boolean guidance, long weightBytes,
		int computeBytes, long available)
	{
		int step = 8 * vaeFactor(vae);
		long lo = 0, hi = GenerationRequest.MAX_SIDE / step;
		while (lo < hi) {
			long mid = (lo + hi + 1) / 2;
			int side = (int) (mid * step);
			if (estimate(unet, vae, side, side, guidance, weightBytes, computeBytes).bytes() <= available) lo = mid;
			else hi = mid - 1;
		}
		return (int) (lo * step);
	}

	/** Memory for tensors on {@code device}: the override, the GPU's total, or the machine's available memory. */
	public static long availableBytes(Device device) {
		String override = System.getProperty("diffusej.memory");
		if (override != null && !override.isBlank()) return parseSize(override);
		if (device != null && device.isGpu()) {
			try {
				long max = ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getMax();
				if (max > 0) return max;
			}
			catch (RuntimeException | LinkageError e) {
				// no CUDA query possible: fall through to system memory
			}
		}
		long meminfo = memAvailable();
		if (meminfo > 0) return meminfo;
		if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
			return os.getFreeMemorySize() + os.getFreeSwapSpaceSize() / 2;
		return Long.MAX_VALUE;
	}

	private static long memAvailable() {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
				if (l.startsWith("MemAvailable:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
		}
		catch (IOException | RuntimeException e) {
			return -1;
		}
		return -1;
	}

	/** {@code 512m}, {@code 12g}, {@code 1.5t} or plain bytes. */
	static long parseSize(String s) {
		String t = s.trim().toLowerCase(Locale.ROOT);
		double mult = 1;
		char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
		switch (last) {
			case 'k' -> mult = 1L << 10;
			case 'm' -> mult = 1L << 20;
			case 'g' -> mult = 1L << 30;
			case 't' -> mult = 1L << 40;
			default -> { }
		}
		if (mult > 1) t = t.substring(0, t.length() - 1);
		try {
			double v = Double.parseDouble(t) * mult;
			if (!(v > 0)) throw new NumberFormatException();
			return (long) Math.min(v, Long.MAX_VALUE);
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("-Ddiffusej.memory must be a size such as 12g or 512m, not '" + s + "'");
		}
	}

	private static String where(Device device) {
		return device != null && device.isGpu() ? "the GPU" : "this machine";
	}

	static String gb(long bytes) {
		if (bytes == Long.MAX_VALUE) return "more than 9 EB";
		return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
			: String.format(Locale.ROOT, "%d MB", Math.max(1, bytes >> 20));
	}

	private static long ceil(long a, long b) {
		return (a + b - 1) / b;
	}

	/** Multiplication that saturates at Long.MAX_VALUE instead of wrapping. */
	static long mul(long a, long b) {
		try {
			return Math.multiplyExact(a, b);
		}
		catch (ArithmeticException e) {
			return Long.MAX_VALUE;
		}
	}

	static long add(long a, long b) {
		try {
			return Math.addExact(a, b);
		}
		catch (ArithmeticException e) {
			return Long.MAX_VALUE;
		}
	}
}
