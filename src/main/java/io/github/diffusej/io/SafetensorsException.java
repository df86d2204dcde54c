package io.github.diffusej.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that is malformed or cannot be used; the message names the file and the defect. */
public class SafetensorsException extends IOException {

	private static final long serialVersionUID = 1L;

	public SafetensorsException(Path file, String defect) {
		super(file + ": " + defect);
	}

	public SafetensorsException(Path file, String defect, Throwable cause) {
		super(file + ": " + defect, cause);
	}
}
