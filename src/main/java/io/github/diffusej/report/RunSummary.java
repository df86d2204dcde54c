package io.github.diffusej.report;

import io.github.diffusej.generate.PngWithText;
import io.github.diffusej.train.RunFolder;
import io.github.diffusej.train.TrainConfig;
import io.github.diffusej.train.TrainingResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a finished training run folder ({@link RunFolder}) shows a reader: its settings, how long its steps took,
 * how the loss went, the validation images of each step and the files it wrote. Read from the folder itself
 * ({@code loss.csv} by its header, {@code validation/step_N/*.png} with the prompt and seed kept in each PNG), so a
 * report says what is on disk.
 *
 * @param config the run's config
 * @param result how the run ended
 * @param trainableValues number of trained values (embedding rows or adapter weights)
 * @param wallSeconds the whole run as the caller timed it (model load, steps, validation, export)
 * @param stepSeconds seconds of each optimizer step, in order ({@code loss.csv}'s {@code seconds})
 * @param losses the training loss of each step
 * @param smoothedLosses its moving average
 * @param validationLosses the validation losses, by step
 * @param validations the validation images, by step
 */
public record RunSummary(TrainConfig config, TrainingResult result, long trainableValues, double wallSeconds,
	double[] stepSeconds, double[] losses, double[] smoothedLosses, List<ValidationLoss> validationLosses,
	List<Validation> validations)
{

	/** The loss on the dataset's validation split at one step. */
	public record ValidationLoss(int step, double loss) {}

	/** The validation images of one step, in file-name order (prompt, then seed). */
	public record Validation(int step, List<Image> images) {}

	/** One validation image and what it shows. */
	public record Image(Path file, String prompt, long seed) {}

	private static final Pattern STEP_FOLDER = Pattern.compile("step_(\\d+)");
	private static final Pattern IMAGE_NAME = Pattern.compile("prompt_(\\d+)-\\d+-(\\d+)(?:-\\d+)?\\.png");

	public RunSummary {
		validationLosses = List.copyOf(validationLosses);
		validations = List.copyOf(validations);
	}

	/** Reads the run folder of {@code result}. */
	public static RunSummary read(TrainConfig config, TrainingResult result, long trainableValues, double wallSeconds)
		throws IOException
	{
		Path dir = result.runDir();
		Path csv = dir.resolve("loss.csv");
		List<double[]> steps = new ArrayList<>();
		List<ValidationLoss> vl = new ArrayList<>();
		if (Files.isRegularFile(csv)) {
			List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
			if (lines.isEmpty()) throw new IOException(csv + ": empty (no header)");
			List<String> header = Arrays.asList(lines.get(0).split(",", -1));
			int cStep = column(header, "step", csv), cLoss = column(header, "loss", csv),
				cSmooth = column(header, "smoothed_loss", csv), cSec = column(header, "seconds", csv),
				cVal = column(header, "validation_loss", csv);
			for (String line : lines.subList(1, lines.size())) {
				if (line.isBlank()) continue;
				String[] f = line.split(",", -1);
				if (f.length < header.size()) continue; // a line cut by a crash
				try {
					int step = Integer.parseInt(f[cStep]);
					if (!f[cVal].isEmpty()) vl.add(new ValidationLoss(step, Double.parseDouble(f[cVal])));
					else if (!f[cLoss].isEmpty()) steps.add(new double[] {step, Double.parseDouble(f[cLoss]),
						Double.parseDouble(f[cSmooth]), Double.parseDouble(f[cSec])});
				}
				catch (NumberFormatException e) {
					throw new IOException(csv + ": not a number in line '" + line + "'", e);
				}
			}
		}
		steps.sort(Comparator.comparingDouble(s -> s[0]));
		double[] sec = new double[steps.size()], loss = new double[steps.size()], smooth = new double[steps.size()];
		for (int i = 0; i < steps.size(); i++) {
			loss[i] = steps.get(i)[1];
			smooth[i] = steps.get(i)[2];
			sec[i] = steps.get(i)[3];
		}
		return new RunSummary(config, result, trainableValues, wallSeconds, sec, loss, smooth, vl,
			validations(dir.resolve("validation")));
	}

	private static int column(List<String> header, String name, Path csv) throws IOException {
		int i = header.indexOf(name);
		if (i < 0) throw new IOException(csv + ": no column '" + name + "' in its header " + header);
		return i;
	}

	private static List<Validation> validations(Path root) throws IOException {
		List<Validation> out = new ArrayList<>();
		if (!Files.isDirectory(root)) return out;
		List<Path> folders;
		try (Stream<Path> s = Files.list(root)) {
			folders = s.filter(p -> STEP_FOLDER.matcher(p.getFileName().toString()).matches()).toList();
		}
		for (Path f : folders) {
			Matcher m = STEP_FOLDER.matcher(f.getFileName().toString());
			if (!m.matches()) continue;
			List<Path> pngs;
			try (Stream<Path> s = Files.list(f)) {
				pngs = s.filter(p -> IMAGE_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
			}
			List<Image> images = new ArrayList<>();
			for (Path p : pngs) {
				Matcher n = IMAGE_NAME.matcher(p.getFileName().toString());
				if (!n.matches()) continue;
				String prompt = PngWithText.readText(p).getOrDefault("diffusej:prompt", "prompt " + n.group(1));
				images.add(new Image(p, prompt, Long.parseLong(n.group(2))));
			}
			out.add(new Validation(Integer.parseInt(m.group(1)), images));
		}
		out.sort(Comparator.comparingInt(Validation::step));
		return out;
	}

	/** The run folder. */
	public Path runDir() {
		return result.runDir();
	}

	/** Optimizer steps logged. */
	public int steps() {
		return losses.length;
	}

	/** Mean seconds per optimizer step (the step time alone, without validation), or NaN without steps. */
	public double secondsPerStep() {
		return stepSeconds.length == 0 ? Double.NaN : Arrays.stream(stepSeconds).sum() / stepSeconds.length;
	}

	/** The first step's loss, or NaN. */
	public double firstLoss() {
		return losses.length == 0 ? Double.NaN : losses[0];
	}

	/** The last step's loss, or NaN. */
	public double lastLoss() {
		return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
	}

	/** The moving average at the last step, or NaN. */
	public double lastSmoothedLoss() {
		return smoothedLosses.length == 0 ? Double.NaN : smoothedLosses[smoothedLosses.length - 1];
	}

	/** {@code loss.png}, or null when the run has none. */
	public Path lossPng() {
		Path p = runDir().resolve("loss.png");
		return Files.isRegularFile(p) ? p : null;
	}

	/** {@code loss.csv}, or null when the run has none. */
	public Path lossCsv() {
		Path p = runDir().resolve("loss.csv");
		return Files.isRegularFile(p) ? p : null;
	}
}
