package io.github.diffusej.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Datasets written by hand the way invoke-training, kohya and diffusers document them. */
class DatasetReaderTest {

	@TempDir
	Path dir;
	Path a;
	Path b;
	Path elsewhere;

	@BeforeEach
	void images() throws IOException {
		Files.createDirectories(dir.resolve("imgs"));
		a = Synthetic.savePng(Synthetic.gray8(32, 32, 1), dir.resolve("imgs/a.png"));
		b = Synthetic.savePng(Synthetic.rgb(32, 32, 2), dir.resolve("imgs/b.png"));
		Path other = Files.createDirectories(dir.resolve("other"));
		elsewhere = Synthetic.savePng(Synthetic.gray8(16, 16, 3), other.resolve("c.jpg.png"));
	}

	private Path write(String name, String text) throws IOException {
		Path p = dir.resolve(name);
		Files.writeString(p, text, StandardCharsets.UTF_8);
		return p;
	}

	@Test
	void invokeJsonlWithAbsoluteAndRelativePathsAndExtraColumns() throws IOException {
		Path jsonl = write("data.jsonl", "{\"image\": \"imgs/a.png\", \"text\": \"a cell\", \"score\": 0.9}\n"
			+ "\n"
			+ "{\"text\": \"b cell\", \"image\": \"" + b.toAbsolutePath().toString().replace("\\", "\\\\")
			+ "\", \"tags\": [\"x\", \"y\"], \"mask\": null}\n"
			+ "{\"image\": \"./other/../imgs/a.png\", \"text\": \"again\", \"mask\": \"imgs/b.png\"}\n");
		Dataset ds = DatasetReader.read(jsonl);
		assertEquals(DatasetFormat.INVOKE_JSONL, ds.format());
		assertEquals(3, ds.items().size());
		assertEquals(a.toAbsolutePath().normalize(), ds.items().get(0).image());
		assertEquals("a cell", ds.items().get(0).caption());
		assertEquals(b.toAbsolutePath().normalize(), ds.items().get(1).image());
		assertNull(ds.items().get(1).mask());
		assertEquals(a.toAbsolutePath().normalize(), ds.items().get(2).image());
		assertEquals(b.toAbsolutePath().normalize(), ds.items().get(2).mask());
		assertTrue(ds.items().get(0).image().isAbsolute());
		// the folder reads the same as the file
		assertEquals(ds.items(), DatasetReader.read(dir).items());
	}

	@Test
	void customColumnNames() throws IOException {
		Path jsonl = write("custom.jsonl", "{\"path\": \"imgs/a.png\", \"prompt\": \"first\", \"weight_map\": \"imgs/b.png\"}\n"
			+ "{\"path\": \"imgs/b.png\", \"prompt\": \"second\"}\n");
		Dataset ds = DatasetReader.readJsonl(jsonl, new JsonlColumns("path", "prompt", "weight_map"));
		assertEquals(List.of("first", "second"), ds.items().stream().map(DatasetItem::caption).toList());
		assertEquals(b.toAbsolutePath().normalize(), ds.items().get(0).mask());
		var e = assertThrows(DatasetException.class, () -> DatasetReader.readJsonl(jsonl, JsonlColumns.INVOKE));
		assertTrue(e.getMessage().contains("line 1: missing \"image\" (columns present: [path, prompt, weight_map])"),
			e.getMessage());
	}

	@Test
	void brokenLinesAreReportedWithTheirLineNumbers() throws IOException {
		Path jsonl = write("data.jsonl", "{\"image\": \"imgs/a.png\", \"text\": \"ok\"}\n"
			+ "{\"image\": \"imgs/a.png\", \"text\": \"unterminated\n"
			+ "[1, 2]\n"
			+ "{\"image\": \"imgs/missing.png\", \"text\": \"gone\"}\n"
			+ "{\"image\": 5, \"text\": \"num\"}\n"
			+ "{\"image\": \"imgs/a.png\"}\n");
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(jsonl));
		String m = e.getMessage();
		assertTrue(m.startsWith(jsonl.toAbsolutePath().normalize() + ": 5 problems"), m);
		assertTrue(m.contains("line 2: not valid JSON"), m);
		assertTrue(m.contains("line 3: expected a JSON object {...}, found an array"), m);
		assertTrue(m.contains("line 4: image file not found: " + dir.resolve("imgs/missing.png").toAbsolutePath()), m);
		assertTrue(m.contains("line 5: \"image\" must be a string, found a number"), m);
		assertTrue(m.contains("line 6: missing \"text\""), m);
	}

	@Test
	void unsupportedImageTypeIsNamed() throws IOException {
		Files.writeString(dir.resolve("imgs/x.webp"), "RIFF");
		Path jsonl = write("data.jsonl", "{\"image\": \"imgs/x.webp\", \"text\": \"w\"}\n");
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(jsonl));
		assertTrue(e.getMessage().contains("line 1: image x.webp has an unsupported type .webp"), e.getMessage());
	}

	@Test
	void byteOrderMarkAndEmptyFile() throws IOException {
		Path jsonl = write("bom.jsonl", "\uFEFF{\"image\": \"imgs/a.png\", \"text\": \"bom\"}\n");
		assertEquals("bom", DatasetReader.read(jsonl).items().get(0).caption());
		Path empty = write("empty.jsonl", "\n\n");
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(empty));
		assertTrue(e.getMessage().endsWith("empty.jsonl: holds no items"), e.getMessage());
	}

	@Test
	void diffusersMetadata() throws IOException {
		write("imgs/metadata.jsonl", "{\"file_name\": \"a.png\", \"text\": \"meta a\"}\n"
			+ "{\"file_name\": \"b.png\", \"text\": \"meta b\", \"additional_feature\": 1}\n");
		Dataset ds = DatasetReader.read(dir.resolve("imgs"));
		assertEquals(DatasetFormat.DIFFUSERS_METADATA, ds.format());
		assertEquals(List.of("meta a", "meta b"), ds.items().stream().map(DatasetItem::caption).toList());
		// a file with another name is recognised by its columns
		Path renamed = write("imgs/meta2.jsonl", "{\"file_name\": \"a.png\", \"text\": \"x\"}\n");
		assertEquals(DatasetFormat.DIFFUSERS_METADATA, DatasetReader.read(renamed).format());
	}

	@Test
	void captionDirectory() throws IOException {
		Path cap = Files.createDirectories(dir.resolve("cap"));
		Files.copy(a, cap.resolve("one.png"));
		Files.copy(b, cap.resolve("two.png"));
		Files.writeString(cap.resolve("one.txt"), "first caption\nsecond line ignored\n");
		Files.writeString(cap.resolve("two.caption"), "kohya style");
		Dataset ds = DatasetReader.read(cap);
		assertEquals(DatasetFormat.CAPTION_DIR, ds.format());
		assertEquals(List.of("first caption", "kohya style"), ds.items().stream().map(DatasetItem::caption).toList());
		Files.copy(a, cap.resolve("three.png"));
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(cap));
		assertTrue(e.getMessage().contains("three.png: caption file three.txt is missing"), e.getMessage());
		var none = assertThrows(DatasetException.class, () -> DatasetReader.read(Files.createDirectories(dir.resolve("nothing"))));
		assertTrue(none.getMessage().contains("no dataset here"), none.getMessage());
	}

	@Test
	void savingCaptionsKeepsOtherColumnsOfForeignJsonl() throws IOException {
		Path jsonl = write("data.jsonl", "{\"image\": \"imgs/a.png\", \"text\": \"old a\", \"score\": 0.9}\n"
			+ "\n{\"image\": \"imgs/b.png\", \"text\": \"old b\", \"tags\": [\"x\"]}\n");
		Dataset ds = DatasetReader.read(jsonl);
		Dataset saved = DatasetWriter.saveCaptions(ds, List.of("new a", "new  b\nwrapped"));
		assertEquals(List.of("new a", "new b wrapped"), saved.items().stream().map(DatasetItem::caption).toList());
		List<String> lines = Files.readAllLines(jsonl);
		JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
		assertEquals(0.9, first.get("score").getAsDouble());
		assertEquals("", lines.get(1));
		assertEquals("x", JsonParser.parseString(lines.get(2)).getAsJsonObject().getAsJsonArray("tags").get(0).getAsString());
	}

	@Test
	void missingPathAndNonDataset() throws IOException {
		var e = assertThrows(DatasetException.class, () -> DatasetReader.read(dir.resolve("nope")));
		assertTrue(e.getMessage().endsWith("nope: no such file or folder"), e.getMessage());
		Path txt = write("notes.txt", "hello");
		var e2 = assertThrows(DatasetException.class, () -> DatasetReader.read(txt));
		assertTrue(e2.getMessage().contains("not a dataset"), e2.getMessage());
	}
}
