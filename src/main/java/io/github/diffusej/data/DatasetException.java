package io.github.diffusej.data;

import java.io.IOException;
import java.nio.file.Path;

/** A dataset that cannot be read or written; the message names the file (and line) and the defect. */
public class DatasetException extends IOException {

	private static final long serialVersionUID = 1L;

	public DatasetException(String message) {
		super(message);
	}

	public DatasetException(String message, Throwable cause) {
		super(message, cause);
	}

	static DatasetException at(Path file, int line, String problem) {
		return new DatasetException(file + " line " + line + ": " + problem);
	}

	static DatasetException at(Path file, String problem) {
		return new DatasetException(file + ": " + problem);
	}
}
