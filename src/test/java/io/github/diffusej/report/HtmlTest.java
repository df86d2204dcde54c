package io.github.diffusej.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HtmlTest {

	@Test
	void escapesEveryCharacterHtmlTreatsSpecially() {
		assertEquals("&lt;my-cell&gt; &amp; &quot;x&quot; &#39;y&#39;", Html.escape("<my-cell> & \"x\" 'y'"));
		assertEquals("", Html.escape(null));
		assertEquals("µm 42", Html.escape("µm 42"));
	}

	@Test
	void linksAreRelativeAndPercentEncoded() {
		Path page = Path.of("/runs/demo");
		assertEquals("previews/base-0000-1.png", Html.relativeUrl(page, page.resolve("previews/base-0000-1.png")));
		assertEquals("my%20run/a%23b%3C1%3E.png", Html.relativeUrl(page, page.resolve("my run/a#b<1>.png")));
		assertEquals("%C2%B5m.png", Html.relativeUrl(page, page.resolve("µm.png")));
		assertEquals("x.png", Html.relativeUrl(page, page.resolve("sub/../x.png")));
	}

	@Test
	void aLinkOutsideThePageFolderIsRefused() {
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
			() -> Html.relativeUrl(Path.of("/runs/demo"), Path.of("/runs/other/x.png")));
		assertTrue(e.getMessage().contains("/runs/other/x.png"), e.getMessage());
	}
}
