/**
 * CLIP tokenizer for Stable Diffusion text encoders, at parity with transformers' slow {@code CLIPTokenizer}
 * (4.36, no ftfy) as diffusers uses it. Entry point: {@link io.github.diffusej.tokenize.ClipTokenizer}.
 *
 * <p>Division of work: the text rules of the slow tokenizer (added-token splitting on the raw text,
 * {@code BasicTokenizer} cleaning, the CLIP split regex) are done in Java, because a tokenizer JSON pipeline
 * cannot express them exactly; the byte-level BPE with {@code </w>} runs in DJL's HuggingFace tokenizers on
 * the pre-split words.
 */
package io.github.diffusej.tokenize;
