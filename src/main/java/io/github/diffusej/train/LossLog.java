package io.github.diffusej.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code loss.csv}: one row per optimizer step ({@code step,epoch,loss,smoothed_loss,lr,grad_norm,seconds}) and one
 * per validation loss ({@code validation_loss} filled, the rest empty), appended and flushed as the run goes. A
 * resumed run first drops the rows after its checkpoint's step, so the file always tells one consistent history.
 */
final class LossLog implements AutoCloseable {

	static final String HEADER = "step,epoch,loss,smoothed_loss,lr,grad_norm,seconds,validation_loss";

	/** A row read back (NaN where empty). */
	record Row(int step, double loss, double smoothed, double validationLoss) {}

	private final Path file;
	private final BufferedWriter out;

	private LossLog(Path file, BufferedWriter out) {
		this.file = file;
		this.out = out;
	}

	/** Opens the log, keeping the rows up to {@code keepUpToStep} (resume) or starting afresh (-1). */
	static LossLog open(Path file, int keepUpToStep) throws IOException {
		List<String> kept = new ArrayList<>();
		kept.add(HEADER);
		if (keepUpToStep >= 0 && Files.isRegularFile(file)) {
			for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
				if (line.isBlank() || line.startsWith("step")) continue;
				int comma = line.indexOf(',');
				try {
					if (Integer.parseInt(line.substring(0, comma)) <= keepUpToStep) kept.add(line);
				}
				catch (NumberFormatException | StringIndexOutOfBoundsException e) {
					// a line cut by a crash: dropped
				}
			}
		}
		io.github.diffusej.io.AtomicFiles.writeString(file, String.join("\n", kept) + "\n");
		return new LossLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
	}

	void step(int step, int epoch, double loss, double smoothed, double lr, double gradNorm, double seconds)
		throws IOException
	{
		append(String.format(Locale.ROOT, "%d,%d,%.8g,%.8g,%.8g,%.6g,%.4f,%n", step, epoch, loss, smoothed, lr, gradNorm,
			seconds));
	}

	void validation(int step, double loss) throws IOException {
		append(String.format(Locale.ROOT, "%d,,,,,,,%.8g%n", step, loss));
	}

	/** A failed append (a full disk) names the file: the stream's own error is a bare "No space left on device". */
	private void append(String row) throws IOException {
		try {
			out.write(row);
			out.flush();
		}
		catch (FileSystemException e) {
			throw e;
		}
		catch (IOException e) {
			throw new FileSystemException(file.toString(), null, "cannot append to the loss log: " + e.getMessage());
		}
	}

	/** Every row of the file (for the loss curve of a resumed run). */
	static List<Row> read(Path file) throws IOException {
		List<Row> rows = new ArrayList<>();
		if (!Files.isRegularFile(file)) return rows;
		for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
			if (line.isBlank() || line.startsWith("step")) continue;
			String[] f = line.split(",", -1);
			if (f.length < 8) continue;
			try {
				rows.add(new Row(Integer.parseInt(f[0]), num(f[2]), num(f[3]), num(f[7])));
			}
			catch (NumberFormatException e) {
				// a damaged line: skipped
			}
		}
		return rows;
	}

	private static double num(String s) {
		return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
	}

	Path file() {
		return file;
	}

	@Override
	public void close() throws IOException {
		out.close();
	}
}
