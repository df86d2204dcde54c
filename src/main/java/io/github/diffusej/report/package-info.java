/**
 * Reports of finished work, for people: {@link io.github.diffusej.report.BeforeAfter} renders the same prompts
 * and seeds with a base model and with each trained result, {@link io.github.diffusej.report.RunSummary} reads
 * what a training run folder holds (settings, step times, losses, validation images, files), and
 * {@link io.github.diffusej.report.DemoPage} writes them as one self-contained HTML page whose links are relative
 * and whose text is escaped ({@link io.github.diffusej.report.Html}). The {@code diffusej demo} command uses all
 * of them; nothing here depends on a face.
 */
package io.github.diffusej.report;
