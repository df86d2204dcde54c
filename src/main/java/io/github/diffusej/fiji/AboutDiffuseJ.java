package io.github.diffusej.fiji;

import ij.IJ;
import ij.plugin.PlugIn;
import io.github.diffusej.engine.EngineInfo;
import io.github.diffusej.engine.Engines;
import io.github.diffusej.engine.JnaCheck;

/**
 * ImageJ 1.x plugin (Plugins > DiffuseJ > About DiffuseJ): starts the engine and logs what DiffuseJ runs on, the
 * first thing to look at when a GPU is not used or Fiji ships an old JNA.
 */
public class AboutDiffuseJ implements PlugIn {

	@Override
	public void run(String arg) {
		String version = AboutDiffuseJ.class.getPackage().getImplementationVersion();
		IJ.log("DiffuseJ " + (version == null ? "(development build)" : version) +
			": train Stable Diffusion embeddings and LoRAs from your images, and generate previews.");
		String jna = JnaCheck.problem();
		if (jna != null) IJ.log("WARNING: " + jna);
		try {
			EngineInfo info = Engines.start();
			IJ.log(info.oneLine());
		}
		catch (RuntimeException e) {
			IJ.log("DiffuseJ engine could not start: " + e.getMessage());
		}
		IJ.log("Commands: Plugins > DiffuseJ > Build Captioned Dataset, Generate Images, Show Prompt Tokens, ...");
	}
}
