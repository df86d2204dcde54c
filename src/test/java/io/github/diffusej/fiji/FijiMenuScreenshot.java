package io.github.diffusej.fiji;

import ij.ImageJ;
import ij.Menus;
import io.github.diffusej.fiji.bridge.LegacyBridge;
import java.awt.Insets;
import java.awt.Menu;
import java.awt.MenuBar;
import java.awt.MenuItem;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.event.InputEvent;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Test scope, run under Xvfb by {@link FijiInstallTest} with the jars of an installed Fiji.app folder on the class
 * path: starts ImageJ 1.x on that folder ({@code plugins.dir}), lets {@link LegacyBridge} add the SciJava commands
 * as Fiji's legacy layer does, prints the Plugins &gt; DiffuseJ entries ({@code MENU: label}) and whether plain
 * ImageJ read the jar's plugins.config ({@code ABOUT-PLUGINS: ...}), then opens Plugins &gt; DiffuseJ with the mouse
 * (ImageJ's own AWT menus) and saves a screenshot to the second argument. Exits 0 when the submenu was on screen.
 */
public final class FijiMenuScreenshot {

	private FijiMenuScreenshot() {}

	public static void main(String[] args) {
		try {
			shoot(args);
		}
		catch (Throwable t) {
			t.printStackTrace(System.out);
			fail(t.toString());
		}
	}

	private static void shoot(String[] args) throws Exception {
		System.setProperty("plugins.dir", args[0]);
		ImageJ ij = new ImageJ();
		ij.setLocation(0, 0);
		for (int i = 0; i < 50 && !ij.isShowing(); i++) Thread.sleep(100);
		LegacyBridge.install();
		Menu diffusej = LegacyBridge.menu();
		if (diffusej == null) fail("no Plugins > DiffuseJ menu");
		for (int i = 0; i < diffusej.getItemCount(); i++) System.out.println("MENU: " + diffusej.getItem(i).getLabel());
		Object about = Menus.getCommands().get("DiffuseJ...");
		System.out.println("ABOUT-PLUGINS: " + about);
		Thread.sleep(1000);

		Robot r = new Robot();
		r.setAutoDelay(20);
		Insets in = ij.getInsets();
		Rectangle b = ij.getBounds();
		// the menu bar's labels, left to right: clusters of dark columns
		BufferedImage bar = r.createScreenCapture(new Rectangle(b.x, b.y, b.width, in.top));
		List<int[]> words = clusters(bar, true, 8);
		MenuBar mb = Menus.getMenuBar();
		int index = -1;
		for (int i = 0; i < mb.getMenuCount(); i++) if (mb.getMenu(i).getLabel().equals("Plugins")) index = i;
		if (index < 0 || index >= words.size()) fail("Plugins not found in the menu bar (" + words.size() + " labels)");
		int[] w = words.get(index);
		int x = b.x + (w[0] + w[1]) / 2, y = b.y + in.top / 2;
		r.mouseMove(x, y);
		r.mousePress(InputEvent.BUTTON1_DOWN_MASK);
		Thread.sleep(700);
		// the open Plugins menu's rows, top to bottom; DiffuseJ is the n-th item that is not a separator
		Menu plugins = Menus.getImageJMenu("Plugins");
		int n = 0;
		for (int i = 0; i < plugins.getItemCount(); i++) {
			MenuItem it = plugins.getItem(i);
			if (it == diffusej) break;
			if (!"-".equals(it.getLabel())) n++;
		}
		BufferedImage column = r.createScreenCapture(new Rectangle(b.x + w[0], b.y + in.top, 80, 600));
		List<int[]> rows = clusters(column, false, 1);
		if (n >= rows.size()) fail("DiffuseJ is item " + n + " but the Plugins menu shows " + rows.size() + " rows");
		int ry = b.y + in.top + (rows.get(n)[0] + rows.get(n)[1]) / 2;
		// right of the DiffuseJ row, where its submenu will open: count what is not the black background
		Rectangle beside = new Rectangle(b.x + w[0] + 60, ry, 760 - w[0], 20 * diffusej.getItemCount());
		long before = nonBlack(r.createScreenCapture(beside));
		for (int yy = y; yy <= ry; yy += 4) r.mouseMove(b.x + w[0] + 20, yy);
		Thread.sleep(300);
		r.mouseMove(b.x + w[0] + 60, ry);
		Thread.sleep(1000);
		long after = nonBlack(r.createScreenCapture(beside));
		BufferedImage shot = r.createScreenCapture(new Rectangle(0, 0, 820, Math.min(ry + 40 + 20 * diffusej.getItemCount(), 600)));
		ImageIO.write(shot, "png", new File(args[1]));
		r.mouseRelease(InputEvent.BUTTON1_DOWN_MASK);
		if (after < before + 100L * diffusej.getItemCount()) fail("the DiffuseJ submenu did not open (" + before + " -> " +
			after + " lit pixels beside it)");
		System.out.println("SCREENSHOT OK");
		System.exit(0);
	}

	static void fail(String why) {
		System.out.println("SCREENSHOT FAILED: " + why);
		System.exit(1);
	}

	static long nonBlack(BufferedImage img) {
		long n = 0;
		for (int y = 0; y < img.getHeight(); y++)
			for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xffffff) != 0) n++;
		return n;
	}

	/**
	 * Runs of columns (horizontal) or rows (vertical) holding dark pixels (text), split at gaps of at least
	 * {@code gap}; vertical runs shorter than 4 px (separator lines) are dropped.
	 */
	static List<int[]> clusters(BufferedImage img, boolean horizontal, int gap) {
		List<int[]> out = new ArrayList<>();
		int len = horizontal ? img.getWidth() : img.getHeight(), across = horizontal ? img.getHeight() : img.getWidth();
		int start = -1, blank = 0;
		for (int i = 0; i <= len; i++) {
			boolean dark = false;
			for (int j = 0; i < len && j < across && !dark; j++) {
				int v = img.getRGB(horizontal ? i : j, horizontal ? j : i);
				int grey = ((v >> 16 & 255) + (v >> 8 & 255) + (v & 255)) / 3;
				dark = grey < 100; // menu text (the black screen below a menu comes last and is never picked)
			}
			if (dark) {
				if (start < 0) start = i;
				blank = 0;
			}
			else if (start >= 0 && (++blank >= gap || i == len)) {
				int end = i - blank;
				if (horizontal || end - start >= 3) out.add(new int[] {start, end});
				start = -1;
				blank = 0;
			}
		}
		return out;
	}
}
