package io.github.diffusej.train;

/**
 * A training run cannot start or go on: a bad config, a dataset the method cannot use, a non-finite loss, a full
 * disk. The message names the file or setting and the problem, and what to do where that is known.
 */
public class TrainingException extends RuntimeException {

	public TrainingException(String message) {
		super(message);
	}

	public TrainingException(String message, Throwable cause) {
		super(message, cause);
	}
}
