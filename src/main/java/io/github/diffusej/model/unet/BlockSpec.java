package io.github.diffusej.model.unet;

/**
 * What one UNet block needs to know, taken from {@link UNet2DConditionConfig} for that block.
 *
 * @param in input channels (for up blocks: the channels arriving from the previous up block)
 * @param out output channels
 * @param skip for up blocks, the channels of the deepest skip connection taken (the block's input level)
 * @param layers resnets per block
 * @param transformerLayers transformer blocks per {@link Transformer2DModel}
 * @param heads attention heads
 * @param crossDim width of the text context
 * @param resample whether the block ends with a down/upsampler
 */
record BlockSpec(long in, long out, long skip, long temb, int layers, int transformerLayers, int heads, long crossDim,
	int groups, double eps, boolean linearProjection, boolean upcastAttention, boolean resample, int downsamplePadding)
{}
