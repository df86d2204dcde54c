package io.github.diffusej.generate;

import io.github.diffusej.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes RGB PNGs that carry their generation settings in text chunks ({@code parameters} in A1111's form plus
 * one {@code diffusej:<key>} chunk per setting) and reads them back, so any saved image can be regenerated.
 */
public final class PngWithText {

	private static final String FORMAT = "javax_imageio_png_1.0";

	private PngWithText() {}

	public static void write(Path file, BufferedImage image, Map<String, String> text) throws IOException {
		write(file, image, text, true);
	}

	/** {@link #write} that never replaces: throws {@link java.nio.file.FileAlreadyExistsException} instead. */
	public static void writeNew(Path file, BufferedImage image, Map<String, String> text) throws IOException {
		write(file, image, text, false);
	}

	private static void write(Path file, BufferedImage image, Map<String, String> text, boolean replace)
		throws IOException
	{
		Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("png");
		if (!it.hasNext()) throw new IOException("no PNG writer available");
		ImageWriter writer = it.next();
		try {
			IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), null);
			IIOMetadataNode root = new IIOMetadataNode(FORMAT);
			IIOMetadataNode itxt = new IIOMetadataNode("iTXt");
			for (Map.Entry<String, String> e : text.entrySet()) {
				// iTXt holds UTF-8 (prompts are not Latin-1); keywords must be Latin-1, 1-79 chars.
				IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
				entry.setAttribute("keyword", e.getKey().length() > 79 ? e.getKey().substring(0, 79) : e.getKey());
				entry.setAttribute("compressionFlag", "FALSE");
				entry.setAttribute("compressionMethod", "0");
				entry.setAttribute("languageTag", "");
				entry.setAttribute("translatedKeyword", "");
				entry.setAttribute("text", e.getValue());
				itxt.appendChild(entry);
			}
			root.appendChild(itxt);
			try {
				meta.mergeTree(FORMAT, root);
			}
			catch (IIOInvalidTreeException e) {
				throw new IOException("cannot store PNG text: " + e.getMessage(), e);
			}
			AtomicFiles.StreamContent content = out -> {
				try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
					writer.setOutput(ios);
					writer.write(null, new IIOImage(image, null, meta), null);
				}
			};
			if (replace) AtomicFiles.writeStream(file, content);
			else AtomicFiles.writeNewStream(file, content);
		}
		finally {
			writer.dispose();
		}
	}

	/** The text chunks of a PNG (tEXt, zTXt and iTXt), in file order. */
	public static Map<String, String> readText(Path file) throws IOException {
		Map<String, String> out = new LinkedHashMap<>();
		try (var in = ImageIO.createImageInputStream(file.toFile())) {
			if (in == null) throw new IOException(file + ": cannot be read");
			Iterator<javax.imageio.ImageReader> it = ImageIO.getImageReaders(in);
			if (!it.hasNext()) throw new IOException(file + ": not an image ImageIO can read");
			javax.imageio.ImageReader reader = it.next();
			try {
				reader.setInput(in);
				IIOMetadata meta = reader.getImageMetadata(0);
				if (!java.util.Arrays.asList(meta.getMetadataFormatNames()).contains(FORMAT)) return out;
				var root = meta.getAsTree(FORMAT);
				for (var n = root.getFirstChild(); n != null; n = n.getNextSibling())
					for (var c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
						if (!(c instanceof IIOMetadataNode e)) continue;
						String key = e.getAttribute("keyword");
						String val = e.hasAttribute("text") ? e.getAttribute("text") : e.getAttribute("value");
						if (!key.isEmpty()) out.put(key, val);
					}
			}
			finally {
				reader.dispose();
			}
		}
		return out;
	}
}
