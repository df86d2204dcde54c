package io.github.diffusej.fiji;

import ij.IJ;
import ij.plugin.PlugIn;
import io.github.diffusej.engine.EngineInfo;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.engine.JnaCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * Help &gt; About Plugins &gt; DiffuseJ... (ImageJ 1.x plugin; Plugins &gt; DiffuseJ &gt; About DiffuseJ is
 * {@link AboutCommand}): what this DiffuseJ build contains and what it runs on, the first thing to look at when a
 * GPU is not used or Fiji ships an old JNA.
 */
public class AboutDiffuseJ implements PlugIn {

	@Override
	public void run(String arg) {
		for (String line : report()) IJ.log(line);
	}

	/** The About text: version, the commands this build has (from the plugin index), JNA and engine lines. */
	public static List<String> report() {
		List<String> lines = commands(DiffuseJMenu.entries());
		String jna = JnaCheck.problem();
		if (jna != null) lines.add("WARNING: " + jna);
		try {
			EngineInfo info = Engines.start();
			lines.add(info.oneLine());
		}
		catch (RuntimeException e) {
			lines.add("DiffuseJ engine could not start: " + e.getMessage());
		}
		return lines;
	}

	/**
	 * The part of the About text that names what this build can do: the version, every menu entry, and what the
	 * training entries (weights 20-29) train, or that there are none; made from the entries, so that it cannot
	 * claim a command the menu lacks.
	 */
	static List<String> commands(List<DiffuseJMenu.Entry> entries) {
		List<String> lines = new ArrayList<>();
		String version = AboutDiffuseJ.class.getPackage().getImplementationVersion();
		lines.add("DiffuseJ " + (version == null ? "(development build)" : version) +
			": Stable Diffusion 1.x/2.x tools for scientific images.");
		lines.add("Plugins > DiffuseJ:");
		for (DiffuseJMenu.Entry e : entries)
			lines.add("  " + e.label() + (e.description().isEmpty() ? "" : ": " + e.description()));
		List<String> training = entries.stream().filter(AboutDiffuseJ::isTraining).map(DiffuseJMenu.Entry::label).toList();
		if (training.isEmpty())
			lines.add("Training (textual inversion, LoRA) is not part of this build; Generate Images applies " +
				"embeddings and LoRAs trained elsewhere (kohya, diffusers, PEFT files).");
		else
			lines.add("Training: " + String.join(", ", training) + " (a training window with the loss, validation " +
				"images and Cancel / Save now / Finish; runs resume from their folder). The same runs on a cluster: " +
				"diffusej train-ti, diffusej train-lora.");
		return lines;
	}

	/** A training command: its menu weight is in the training range. */
	static boolean isTraining(DiffuseJMenu.Entry e) {
		return e.weight() >= DiffuseJMenu.TRAINING && e.weight() < DiffuseJMenu.GENERATE;
	}
}
