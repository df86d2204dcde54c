package io.github.diffusej.model.loader;

import java.io.IOException;

/** A model that cannot be loaded; the message names the file or folder and the defect. */
public class ModelLoadException extends IOException {

	private static final long serialVersionUID = 1L;

	public ModelLoadException(String message) {
		super(message);
	}

	public ModelLoadException(String message, Throwable cause) {
		super(message, cause);
	}
}
