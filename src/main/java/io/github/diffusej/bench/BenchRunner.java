package io.github.diffusej.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.diffusej.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs benchmark cases one after the other, each in a fresh JVM ({@link BenchChild}), so that every row's peak
 * RSS belongs to that row alone, as the reference figures were measured. A watchdog stops a case whose resident
 * memory passes a limit (the machine is shared). Prints one table and writes the same rows as JSON.
 */
public final class BenchRunner {

	/**
	 * @param models {@link BenchContext#SD15}, {@link BenchContext#TINY} or model paths
	 * @param cases case names to run (empty: all); a name ending in {@code *} is a prefix
	 * @param warmups, repeats overrides, or -1
	 * @param maxRss bytes of RSS at which a case is stopped
	 * @param heap the children's {@code -Xmx} value
	 */
	public record Options(List<String> models, List<String> cases, int warmups, int repeats, long maxRss, String heap,
		Path json) {}

	/** One finished (or failed) row. */
	record Row(String model, BenchCase bc, String status, double[] seconds, double[] cpu, long flops, long peakRss,
		long setupRss, long peakGpu, String note, JsonObject raw) {

		double median() {
			return seconds.length == 0 ? Double.NaN : seconds[seconds.length / 2];
		}

		double cpuMedian() {
			return cpu.length == 0 ? Double.NaN : cpu[cpu.length / 2];
		}
	}

	private BenchRunner() {}

	public static int run(Options o, PrintWriter out) throws IOException, InterruptedException {
		List<Row> rows = new ArrayList<>();
		String engine = null;
		String loadBefore = loadAverage();
		for (String model : o.models()) {
			for (BenchCase bc : BenchCases.all(model.equals(BenchContext.TINY))) {
				if (!selected(bc.name(), o.cases())) continue;
				Row r = runCase(model, bc, o);
				rows.add(r);
				if (engine == null && r.raw() != null && r.raw().has("engine")) engine = r.raw().get("engine").getAsString();
				System.err.printf(Locale.ROOT, "bench: %s on %s: %s, median %.3f s, peak RSS %.2f GB%n", bc.name(), model,
					r.status(), r.median(), r.peakRss() / 1e9);
			}
		}
		String loadAfter = loadAverage();
		printTable(rows, engine, loadBefore, loadAfter, out);
		if (o.json() != null) {
			AtomicFiles.writeString(o.json(), json(rows, engine, loadBefore, loadAfter));
			out.println("JSON: " + o.json().toAbsolutePath());
		}
		return rows.stream().allMatch(r -> r.status().equals("ok")) ? 0 : 1;
	}

	static boolean selected(String name, List<String> cases) {
		if (cases.isEmpty()) return true;
		for (String c : cases) {
			if (c.endsWith("*") ? name.startsWith(c.substring(0, c.length() - 1)) : name.equals(c)) return true;
		}
		return false;
	}

	private static Row runCase(String model, BenchCase bc, Options o) throws IOException, InterruptedException {
		List<String> cmd = new ArrayList<>();
		cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		if (bc.fixedHeap() != null) {
			cmd.addAll(List.of("-Xms" + bc.fixedHeap(), "-Xmx" + bc.fixedHeap(), "-XX:+AlwaysPreTouch"));
		}
		else cmd.add("-Xmx" + o.heap());
		cmd.add("-Djava.awt.headless=true");
		for (Map.Entry<Object, Object> p : System.getProperties().entrySet()) {
			String k = p.getKey().toString();
			if (k.startsWith("diffusej.") || k.startsWith("ai.djl.") || k.startsWith("PYTORCH"))
				cmd.add("-D" + k + "=" + p.getValue());
		}
		if (System.getProperty("ai.djl.offline") == null) cmd.add("-Dai.djl.offline=true");
		cmd.add("-cp");
		cmd.add(System.getProperty("java.class.path"));
		cmd.add(BenchChild.class.getName());
		cmd.addAll(List.of(bc.name(), model, Integer.toString(o.warmups()), Integer.toString(o.repeats())));
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
		System.err.printf(Locale.ROOT, "bench: starting %s on %s (%.1f GB available)%n", bc.name(), model,
			ProcessMemory.available() / 1e9);
		Process p = pb.start();
		long[] maxSeen = {0};
		boolean[] stopped = {false};
		Thread watchdog = new Thread(() -> {
			while (p.isAlive()) {
				long rss = ProcessMemory.rss(p.pid());
				maxSeen[0] = Math.max(maxSeen[0], rss);
				if (rss > o.maxRss()) {
					stopped[0] = true;
					p.destroyForcibly();
					return;
				}
				try {
					Thread.sleep(100);
				}
				catch (InterruptedException e) {
					return;
				}
			}
		}, "bench-watchdog");
		watchdog.setDaemon(true);
		watchdog.start();
		JsonObject result = null;
		try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
			for (String line; (line = r.readLine()) != null;) {
				if (line.startsWith(BenchChild.RESULT)) {
					result = JsonParser.parseString(line.substring(BenchChild.RESULT.length())).getAsJsonObject();
				}
				else System.err.println("  " + line);
			}
		}
		p.waitFor(10, TimeUnit.MINUTES);
		watchdog.interrupt();
		if (stopped[0]) return new Row(model, bc, String.format(Locale.ROOT, "stopped above %.1f GB RSS", o.maxRss() / 1e9),
			new double[0], new double[0], 0, maxSeen[0], 0, 0, "", null);
		if (result == null || p.exitValue() != 0) return new Row(model, bc, "failed (exit " + p.exitValue() + ")",
			new double[0], new double[0], 0, maxSeen[0], 0, 0, "", null);
		double[] sec = sorted(result.getAsJsonArray("seconds"));
		double[] cpu = sorted(result.getAsJsonArray("cpuSeconds"));
		return new Row(model, bc, "ok", sec, cpu, result.get("flops").getAsLong(), result.get("peakRss").getAsLong(),
			result.get("setupRss").getAsLong(), result.get("peakGpu").getAsLong(), result.get("note").getAsString(), result);
	}

	private static double[] sorted(JsonArray a) {
		double[] v = new double[a == null ? 0 : a.size()];
		for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsDouble();
		Arrays.sort(v);
		return v;
	}

	/** GFLOP/s of a row, or NaN. */
	static double gflops(Row r) {
		return r.flops() <= 0 || r.seconds().length == 0 ? Double.NaN : r.flops() / r.median() / 1e9;
	}

	private static double matmulPeak(List<Row> rows, String model) {
		for (Row r : rows) if (r.model().equals(model) && r.bc().name().equals("matmul")) return gflops(r);
		return Double.NaN;
	}

	static void printTable(List<Row> rows, String engine, String loadBefore, String loadAfter, PrintWriter out) {
		out.println();
		out.println("| model | case | runs | min s | median s | max s | CPU s | peak RSS GB | GFLOP/s | diffusers s / GB"
			+ " | time ratio | note |");
		out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
		for (Row r : rows) {
			String mem = r.bc().reference() == null ? "" : fmt(r.bc().reference().seconds()) + " / "
				+ fmt(r.bc().reference().peakRssGb());
			String ratio = r.bc().reference() == null || r.seconds().length == 0 || !r.model().equals(BenchContext.SD15) ? ""
				: String.format(Locale.ROOT, "%.2f", r.median() / r.bc().reference().seconds());
			double g = gflops(r);
			double peak = matmulPeak(rows, r.model());
			String gf = Double.isNaN(g) ? "" : String.format(Locale.ROOT, "%.0f", g) + (r.bc().name().equals("matmul")
				|| Double.isNaN(peak) ? "" : String.format(Locale.ROOT, " (%.0f%%)", 100 * g / peak));
			String peakMem = r.peakGpu() > 0 ? String.format(Locale.ROOT, "%.2f (GPU %.2f)", r.peakRss() / 1e9,
				r.peakGpu() / 1e9) : String.format(Locale.ROOT, "%.2f", r.peakRss() / 1e9);
			String note = r.status().equals("ok") ? r.note() : r.status();
			String cpu = r.cpu().length == 0 || Double.isNaN(r.cpuMedian()) ? "" : fmt(r.cpuMedian());
			out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.model(),
				r.bc().what(), r.seconds().length, sec(r, 0), r.seconds().length == 0 ? "" : fmt(r.median()),
				sec(r, r.seconds().length - 1), cpu, peakMem, gf, mem, ratio, note);
		}
		out.println();
		if (engine != null) out.println(engine);
		out.println("host: " + host() + "; load average before " + loadBefore + ", after " + loadAfter);
		out.println("threading environment: " + threadingEnvironment());
		out.println("diffusers: 0.25.1 on Debian's torch 1.13.1, 2 threads, fp32, SD 1.5-size random weights (issue 12)");
		out.println("CPU s: median CPU seconds per run, all threads (steadier than wall time when the machine is shared)");
	}

	private static String sec(Row r, int i) {
		return r.seconds().length == 0 ? "" : fmt(r.seconds()[i]);
	}

	private static String fmt(double v) {
		return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
			: v >= 0.1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.4f", v);
	}

	static String json(List<Row> rows, String engine, String loadBefore, String loadAfter) {
		JsonObject o = new JsonObject();
		o.addProperty("date", OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
		o.addProperty("host", host());
		o.addProperty("engine", engine);
		o.addProperty("loadAverageBefore", loadBefore);
		o.addProperty("loadAverageAfter", loadAfter);
		o.addProperty("threadingEnvironment", threadingEnvironment());
		JsonArray a = new JsonArray();
		for (Row r : rows) {
			JsonObject j = new JsonObject();
			j.addProperty("model", r.model());
			j.addProperty("case", r.bc().name());
			j.addProperty("what", r.bc().what());
			j.addProperty("status", r.status());
			JsonArray s = new JsonArray();
			for (double v : r.seconds()) s.add(v);
			j.add("seconds", s);
			JsonArray cs = new JsonArray();
			for (double v : r.cpu()) cs.add(v);
			j.add("cpuSeconds", cs);
			if (r.seconds().length > 0) {
				j.addProperty("min", r.seconds()[0]);
				j.addProperty("median", r.median());
				j.addProperty("max", r.seconds()[r.seconds().length - 1]);
			}
			j.addProperty("peakRssBytes", r.peakRss());
			j.addProperty("setupRssBytes", r.setupRss());
			if (r.peakGpu() > 0) j.addProperty("peakGpuBytes", r.peakGpu());
			if (r.flops() > 0) j.addProperty("flopsPerRun", r.flops());
			double g = gflops(r);
			if (!Double.isNaN(g)) j.addProperty("gflops", g);
			if (r.bc().reference() != null) {
				j.addProperty("diffusersSeconds", r.bc().reference().seconds());
				j.addProperty("diffusersPeakRssGb", r.bc().reference().peakRssGb());
			}
			j.addProperty("note", r.note());
			if (r.raw() != null) for (String k : List.of("device", "dtype", "threads", "metrics")) {
				JsonElement e = r.raw().get(k);
				if (e != null) j.add(k, e);
			}
			a.add(j);
		}
		o.add("rows", a);
		return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
	}

	static String host() {
		String cpu = "unknown CPU";
		int cores = Runtime.getRuntime().availableProcessors();
		try {
			for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
				if (l.startsWith("model name")) {
					cpu = l.substring(l.indexOf(':') + 1).trim();
					break;
				}
			}
		}
		catch (IOException e) {
			// not Linux
		}
		long mem = 0;
		try {
			for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
				if (l.startsWith("MemTotal:")) mem = 1024 * Long.parseLong(l.replaceAll("[^0-9]", ""));
		}
		catch (IOException | RuntimeException e) {
			// not Linux
		}
		return String.format(Locale.ROOT, "%s, %d cores visible, %.0f GB RAM", cpu, cores, mem / 1e9);
	}

	/**
	 * The OpenMP settings the case processes inherit. They matter on a shared machine: with libgomp's default
	 * (active) wait policy a thread that waits at a barrier spins while its partner is descheduled, which can make
	 * small operations many times slower and inflates the CPU seconds.
	 */
	static String threadingEnvironment() {
		StringBuilder sb = new StringBuilder();
		for (String k : List.of("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")) {
			String v = System.getenv(k);
			if (sb.length() > 0) sb.append(", ");
			sb.append(k).append('=').append(v == null ? "(unset)" : v);
		}
		return sb.toString();
	}

	private static String loadAverage() {
		try {
			String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
			return f[0] + " " + f[1] + " " + f[2];
		}
		catch (IOException | RuntimeException e) {
			return "unknown";
		}
	}
}
