package io.github.diffusej.report;

import io.github.diffusej.Durations;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.io.AtomicFiles;
import io.github.diffusej.train.TrainConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one page of a demo run ({@code index.html}): the dataset, the before/after previews of every trained result
 * side by side (same prompts, same seeds), and for each training run its key settings and numbers, its loss curve,
 * its validation images step by step and the files it wrote. Self-contained: inline CSS, no script, no external
 * resource; every image and file is a relative link into the page's own folder, so the folder can be zipped,
 * copied or opened from a cluster's scratch space. Every string put into the page is HTML-escaped.
 */
public final class DemoPage {

	/** Images narrower than this are shown enlarged (pixelated), so that a 32 px preview can be seen. */
	static final int MIN_SHOWN = 128;
	/** Images are shown at most this wide; a click opens the full-size file. */
	static final int MAX_SHOWN = 256;
	/** Training images shown from the dataset. */
	static final int DATASET_SAMPLES = 8;

	/**
	 * Everything the page shows.
	 *
	 * @param title the page's heading
	 * @param command the command line that made the run
	 * @param model what the base model is, for the reader ("tiny random-weight SD1-architecture model in ...")
	 * @param randomModel whether the base model has random weights (the page then says that its images are noise)
	 * @param engine the engine report line (PyTorch version, device, threads)
	 * @param dataset the dataset folder and its content
	 * @param previews the before/after previews
	 * @param runs the training runs, in the order of the preview variants after the base
	 * @param phases wall time of each part of the run, in order
	 */
	public record Report(String title, String command, String model, boolean randomModel, String engine, Path datasetDir,
		Dataset dataset, BeforeAfter.Result previews, List<RunSummary> runs, List<Phase> phases)
	{

		public Report {
			runs = List.copyOf(runs);
			phases = List.copyOf(phases);
		}
	}

	/** One timed part of a run. */
	public record Phase(String name, double seconds) {}

	private final Path dir;
	private final StringBuilder html = new StringBuilder();

	private DemoPage(Path dir) {
		this.dir = dir.toAbsolutePath().normalize();
	}

	/** Writes the page to {@code file} atomically; every linked file must lie in the page's folder. */
	public static Path write(Report report, Path file) throws IOException {
		Path abs = file.toAbsolutePath().normalize();
		DemoPage p = new DemoPage(abs.getParent());
		p.page(report);
		AtomicFiles.writeString(abs, p.html.toString());
		return abs;
	}

	private void page(Report r) throws IOException {
		html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
			.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
			.append("<title>").append(esc(r.title())).append("</title>\n<style>\n").append(CSS).append("</style>\n")
			.append("</head>\n<body>\n<h1>").append(esc(r.title())).append("</h1>\n");
		if (r.randomModel()) html.append("<p class=\"warn\">The base model here is a tiny model with <b>random " +
			"weights</b>: its images are coloured noise before and after training. This run shows the machinery (dataset, " +
			"training, validation, export, before/after comparison), not art. Point the demo at a real Stable Diffusion " +
			"1.5 or 2.1 checkpoint (<code>--model</code>) to see a concept being learned.</p>\n");
		overview(r);
		previews(r);
		for (int i = 0; i < r.runs().size(); i++) run(r.runs().get(i), i);
		dataset(r);
		html.append("<footer>Made by DiffuseJ. Every image is a PNG that keeps its prompt, seed and settings in its " +
			"text chunks (A1111 <code>parameters</code> and <code>diffusej:*</code>).</footer>\n</body>\n</html>\n");
	}

	private void overview(Report r) {
		html.append("<section>\n<h2>Overview</h2>\n<table class=\"kv\">\n");
		kv("command", "<code>" + esc(r.command()) + "</code>");
		kv("base model", esc(r.model()));
		kv("engine", esc(r.engine()));
		kv("dataset", link(r.datasetDir().resolve("dataset.json"), "dataset.json") + " " + esc(r.dataset().items().size()
			+ " training + " + r.dataset().validation().size() + " validation images"));
		for (RunSummary s : r.runs())
			kv(s.config().method().label(), esc(s.steps() + " steps, " + num(s.secondsPerStep(), 3) + " s/step, final loss "
				+ num(s.lastLoss(), 4) + " (smoothed " + num(s.lastSmoothedLoss(), 4) + "), run folder ") +
				link(s.runDir().resolve("config.json"), dir.relativize(s.runDir()) + "/"));
		double total = 0;
		StringBuilder t = new StringBuilder();
		for (Phase p : r.phases()) {
			total += p.seconds();
			if (t.length() > 0) t.append(", ");
			t.append(p.name()).append(' ').append(Durations.format(p.seconds()));
		}
		kv("time", esc(Durations.format(total) + " in all: " + t));
		html.append("</table>\n</section>\n");
	}

	private void previews(Report r) throws IOException {
		BeforeAfter.Result p = r.previews();
		var req = p.request();
		html.append("<section>\n<h2>Before and after</h2>\n<p>The same prompts and seeds, rendered by the base model " +
			"and by the base model with each trained result (")
			.append(esc(req.sampler() + ", " + req.steps() + " steps, guidance " + fmt(req.guidance()) + ", " + req.width()
				+ "x" + req.height() + " px"))
			.append("). Any difference between the cells of one row comes from what was trained. The base model reads a "
				+ "new token as ordinary text pieces; with the embedding it is one learned token.</p>\n");
		html.append("<table class=\"grid\">\n<tr><th>prompt</th><th>seed</th>");
		for (BeforeAfter.Panel panel : p.panels()) html.append("<th>").append(esc(panel.variant().label())).append("</th>");
		html.append("</tr>\n");
		for (int c = 0; c < p.prompts().size(); c++)
			for (int row = 0; row < p.seeds().size(); row++) {
				html.append("<tr>");
				if (row == 0) html.append("<td class=\"prompt\" rowspan=\"").append(p.seeds().size()).append("\">")
					.append(esc(p.prompts().get(c))).append("</td>");
				html.append("<td>").append(p.seeds().get(row)).append("</td>");
				for (int v = 0; v < p.panels().size(); v++)
					html.append("<td>").append(image(p.cell(v, row, c), p.prompts().get(c) + ", seed " + p.seeds().get(row)
						+ ", " + p.panels().get(v).variant().label())).append("</td>");
				html.append("</tr>\n");
			}
		html.append("<tr><td colspan=\"2\">mean |after &minus; before|</td>");
		for (BeforeAfter.Panel panel : p.panels())
			html.append("<td>").append(panel == p.panels().get(0) ? "&ndash;" : esc(num(panel.meanAbsDifference(), 2)
				+ " grey levels (max " + panel.maxAbsDifference() + ")")).append("</td>");
		html.append("</tr>\n<tr><td colspan=\"2\">grid image</td>");
		for (BeforeAfter.Panel panel : p.panels())
			html.append("<td>").append(link(panel.montage(), panel.montage().getFileName().toString())).append("</td>");
		html.append("</tr>\n</table>\n</section>\n");
	}

	private void run(RunSummary s, int index) throws IOException {
		TrainConfig c = s.config();
		String id = c.method() == TrainConfig.Method.LORA ? "lora" : "ti";
		html.append("<section id=\"").append(id).append(index).append("\">\n<h2>").append(esc(capitalised(c.method().label())))
			.append(": ").append(esc(dir.relativize(s.runDir()).toString())).append("/</h2>\n<div class=\"row\">\n");
		html.append("<div>\n<h3>Settings</h3>\n<table class=\"kv\">\n");
		for (Map.Entry<String, String> e : settings(c).entrySet()) kv(e.getKey(), esc(e.getValue()));
		html.append("</table>\n</div>\n<div>\n<h3>Numbers</h3>\n<table class=\"kv\">\n");
		kv("status", esc(s.result().status().name().toLowerCase(Locale.ROOT) + (s.result().error() == null ? ""
			: ": " + s.result().error())));
		kv("steps", esc(Integer.toString(s.steps())));
		kv("seconds per step", esc(num(s.secondsPerStep(), 3) + " (optimizer step alone)"));
		kv("run time", esc(Durations.format(s.wallSeconds()) + " (with model load, validation and export)"));
		kv("trained values", esc(String.format(Locale.ROOT, "%,d", s.trainableValues())));
		kv("training loss", esc("first " + num(s.firstLoss(), 4) + ", last " + num(s.lastLoss(), 4) + ", smoothed "
			+ num(s.lastSmoothedLoss(), 4)));
		if (!s.validationLosses().isEmpty()) {
			var v = s.validationLosses();
			kv("validation loss", esc("step " + v.get(0).step() + ": " + num(v.get(0).loss(), 4) + ", step "
				+ v.get(v.size() - 1).step() + ": " + num(v.get(v.size() - 1).loss(), 4)
				+ (Double.isFinite(s.result().bestValidationLoss()) ? ", best " + num(s.result().bestValidationLoss(), 4)
					: "")));
		}
		html.append("</table>\n<h3>Files</h3>\n<ul>\n");
		List<Path> files = new ArrayList<>(s.result().outputs());
		if (s.result().best() != null) files.add(s.result().best());
		files.add(s.runDir().resolve("config.json"));
		if (s.lossCsv() != null) files.add(s.lossCsv());
		for (Path f : files)
			if (Files.isRegularFile(f)) html.append("<li>").append(link(f, dir.relativize(f.toAbsolutePath().normalize())
				.toString())).append(" <span class=\"dim\">").append(esc(size(Files.size(f)))).append("</span></li>\n");
		html.append("</ul>\n</div>\n");
		if (s.lossPng() != null) html.append("<div>\n<h3>Loss</h3>\n").append(linkHtml(s.lossPng(), "<img class=\"curve\" src=\""
			+ esc(Html.relativeUrl(dir, s.lossPng())) + "\" alt=\"" + esc("loss curve of " + c.method().label())
			+ "\">")).append("\n</div>\n");
		html.append("</div>\n");
		if (!s.validations().isEmpty()) {
			html.append("<h3>Validation images by step</h3>\n<table class=\"grid\">\n<tr><th>step</th>");
			var first = s.validations().get(0).images();
			for (RunSummary.Image im : first) html.append("<th>").append(esc(im.prompt() + ", seed " + im.seed())).append("</th>");
			html.append("</tr>\n");
			for (RunSummary.Validation v : s.validations()) {
				html.append("<tr><td>").append(v.step()).append("</td>");
				for (RunSummary.Image im : v.images())
					html.append("<td>").append(image(im.file(), "step " + v.step() + ": " + im.prompt() + ", seed " + im.seed()))
						.append("</td>");
				html.append("</tr>\n");
			}
			html.append("</table>\n");
		}
		html.append("</section>\n");
	}

	private void dataset(Report r) throws IOException {
		Dataset d = r.dataset();
		html.append("<section>\n<h2>Dataset: ").append(esc(dir.relativize(r.datasetDir().toAbsolutePath().normalize())
			.toString())).append("/</h2>\n<p>").append(esc(d.items().size() + " training and " + d.validation().size()
			+ " validation images; the first " + Math.min(DATASET_SAMPLES, d.items().size()) + " with their captions:"))
			.append("</p>\n<div class=\"strip\">\n");
		for (DatasetItem item : d.items().subList(0, Math.min(DATASET_SAMPLES, d.items().size())))
			html.append("<figure>").append(image(item.image(), item.caption())).append("<figcaption>")
				.append(esc(item.caption())).append("</figcaption></figure>\n");
		html.append("</div>\n</section>\n");
	}

	/** The settings a reader compares runs by. */
	static Map<String, String> settings(TrainConfig c) {
		Map<String, String> m = new LinkedHashMap<>();
		m.put("base model", c.model());
		if (c.method() == TrainConfig.Method.TEXTUAL_INVERSION) {
			var ti = c.textualInversion();
			m.put("token", ti.token());
			m.put("vectors", Integer.toString(ti.numVectors()));
			m.put("initializer", ti.initializerFile() != null ? ti.initializerFile() : ti.initializer());
		}
		else {
			var l = c.lora();
			m.put("rank / alpha", l.rank() + " / " + fmt(l.alpha()) + (l.dora() ? " (DoRA)" : ""));
			m.put("targets", l.targets() + (l.textEncoder() ? " + text encoder" : ""));
			if (c.captions().trigger() != null) m.put("trigger", c.captions().trigger());
		}
		m.put("captions", c.captions().mode());
		m.put("steps", Integer.toString(c.steps()) + " x " + c.batchSize() + " image" + (c.batchSize() == 1 ? "" : "s")
			+ (c.gradientAccumulationSteps() > 1 ? " x " + c.gradientAccumulationSteps() + " accumulated" : ""));
		m.put("resolution", c.data().resolution() == 0 ? "the model's native size" : c.data().resolution() + " px");
		m.put("optimizer", c.optimizer().type() + ", lr " + fmt(c.optimizer().learningRate()) + ", " + c.schedule().type());
		m.put("precision", c.mixedPrecision().equals("no") ? "float32" : c.mixedPrecision());
		m.put("seed", Long.toString(c.seed()));
		var v = c.validation();
		m.put("validation", v.everySteps() > 0 ? "every " + v.everySteps() + " steps, " + v.sampler() + " " + v.steps()
			+ " steps" : "at the start and the end");
		return m;
	}

	private void kv(String key, String valueHtml) {
		html.append("<tr><th>").append(esc(key)).append("</th><td>").append(valueHtml).append("</td></tr>\n");
	}

	/** An image, enlarged when small and shrunk when large, linked to its full-size file. */
	private String image(Path file, String alt) throws IOException {
		int w = pngWidth(file);
		int shown = w <= 0 ? MIN_SHOWN : Math.max(MIN_SHOWN, Math.min(MAX_SHOWN, w));
		String cls = w > 0 && w < shown ? "px" : "im";
		return linkHtml(file, "<img class=\"" + cls + "\" width=\"" + shown + "\" src=\"" + esc(Html.relativeUrl(dir, file))
			+ "\" alt=\"" + esc(alt) + "\" title=\"" + esc(alt) + "\">");
	}

	/** A link to {@code file} showing {@code text}. */
	private String link(Path file, String text) {
		return linkHtml(file, esc(text));
	}

	/** A link to {@code file} around markup made here (an image). */
	private String linkHtml(Path file, String innerHtml) {
		return "<a href=\"" + esc(Html.relativeUrl(dir, file)) + "\">" + innerHtml + "</a>";
	}

	/** The width in a PNG's IHDR chunk, or -1 when the file is no PNG. */
	static int pngWidth(Path file) throws IOException {
		byte[] head = new byte[24];
		try (InputStream in = Files.newInputStream(file)) {
			if (in.readNBytes(head, 0, 24) < 24) return -1;
		}
		if ((head[0] & 0xff) != 0x89 || head[1] != 'P' || head[2] != 'N' || head[3] != 'G') return -1;
		return (head[16] & 0xff) << 24 | (head[17] & 0xff) << 16 | (head[18] & 0xff) << 8 | head[19] & 0xff;
	}

	private static String esc(String s) {
		return Html.escape(s);
	}

	static String num(double v, int digits) {
		return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "n/a";
	}

	private static String fmt(double d) {
		if (d == Math.rint(d) && Math.abs(d) < 1e9) return Long.toString((long) d);
		return String.format(Locale.ROOT, "%.3g", d).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2").replace(".e", "e");
	}

	private static String size(long bytes) {
		if (bytes < 1024) return bytes + " B";
		if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
		return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
	}

	private static String capitalised(String s) {
		return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
	}

	private static final String CSS = """
		body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
		h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
		h3 { font-size: 1em; margin: 1em 0 .4em; }
		.warn { background: #fff4d6; border: 1px solid #e0c060; padding: .6em .8em; }
		table { border-collapse: collapse; }
		table.kv th { text-align: left; font-weight: 600; padding: .15em 1em .15em 0; vertical-align: top; white-space: nowrap; }
		table.kv td { padding: .15em 0; }
		table.grid th, table.grid td { border: 1px solid #ddd; padding: 4px; text-align: center; vertical-align: middle; }
		table.grid th { background: #f4f4f4; font-weight: 600; max-width: 260px; }
		td.prompt { max-width: 220px; text-align: left; }
		img { display: block; margin: auto; height: auto; border: 0; }
		img.px { image-rendering: pixelated; image-rendering: crisp-edges; }
		img.curve { max-width: 100%; width: 520px; }
		.row { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
		.strip { display: flex; flex-wrap: wrap; gap: 8px; }
		figure { margin: 0; width: 140px; font-size: .8em; }
		.dim { color: #777; } code { background: #f4f4f4; padding: 0 .2em; }
		footer { margin-top: 3em; color: #777; font-size: .85em; }
		""";
}
