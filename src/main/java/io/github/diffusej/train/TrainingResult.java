package io.github.diffusej.train;

import java.nio.file.Path;
import java.util.List;

/**
 * How a run ended.
 *
 * @param status what happened
 * @param runDir the run folder
 * @param step optimizer steps done
 * @param outputs the files written for other tools (embedding / LoRA files), final ones first
 * @param best the file of the lowest validation loss, or null
 * @param bestValidationLoss its loss, or NaN
 * @param lastLoss the last step's training loss, or NaN
 * @param error why the run stopped, for {@link Status#FAILED}; else null
 */
public record TrainingResult(Status status, Path runDir, int step, List<Path> outputs, Path best,
	double bestValidationLoss, double lastLoss, String error)
{

	public enum Status {
		/** Reached the last step, or was finished early by the user; results exported. */
		FINISHED,
		/** Cancelled; a resumable checkpoint holds the state. */
		CANCELLED,
		/** Stopped by an error (non-finite loss, full disk, ...); earlier checkpoints are intact. */
		FAILED
	}

	public TrainingResult {
		outputs = List.copyOf(outputs);
	}
}
