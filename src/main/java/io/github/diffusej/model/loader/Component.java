package io.github.diffusej.model.loader;

/** The weight-carrying components of a Stable Diffusion pipeline, named as diffusers names their folders. */
public enum Component {
	TEXT_ENCODER("text_encoder"), UNET("unet"), VAE("vae");

	/** The diffusers sub-folder name. */
	public final String folder;

	Component(String folder) {
		this.folder = folder;
	}
}
