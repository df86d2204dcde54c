package io.github.diffusej.fiji;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.scijava.MenuEntry;
import org.scijava.MenuPath;
import org.scijava.command.Command;
import org.scijava.plugin.PluginIndex;
import org.scijava.plugin.PluginInfo;

/**
 * The Plugins &gt; DiffuseJ menu: the weights that put the commands in workflow order (dataset, train, generate,
 * tools, About last; Fiji sorts SciJava entries by leaf weight), and the list of entries as the plugin index has
 * them, which About prints so that it names exactly what exists.
 */
public final class DiffuseJMenu {

	/** The menu the commands live in. */
	public static final String MENU = "DiffuseJ";

	public static final double BUILD_DATASET = 10;
	public static final double CHECK_DATASET = 11;
	public static final double EDIT_CAPTIONS = 12;
	public static final double OPEN_AS_STACK = 13;
	public static final double SAVE_CAPTIONS = 14;
	/** First weight of the training commands (20-29), between the dataset and the generation entries. */
	public static final double TRAINING = 20;
	public static final double TRAIN_TEXTUAL_INVERSION = TRAINING;
	public static final double TRAIN_LORA = TRAINING + 1;
	public static final double GENERATE = 30;
	public static final double PROMPT_TOKENS = 40;
	public static final double ABOUT = 1000;

	/**
	 * One menu entry.
	 *
	 * @param label the menu label (the name macros pass to {@code run(...)})
	 * @param description the command's one-line description
	 * @param weight its place
	 * @param className the command class
	 */
	public record Entry(String label, String description, double weight, String className) {}

	private DiffuseJMenu() {}

	/** The SciJava commands under Plugins &gt; DiffuseJ, in menu order (by weight, then label). */
	public static List<Entry> entries() {
		PluginIndex index = new PluginIndex();
		index.discover();
		List<Entry> out = new ArrayList<>();
		for (PluginInfo<Command> info : index.getPlugins(Command.class)) {
			MenuPath path = info.getMenuPath();
			if (path == null || path.size() != 3 || !MENU.equals(path.get(1).getName())) continue;
			MenuEntry leaf = path.getLeaf();
			out.add(new Entry(leaf.getName(), info.getDescription() == null ? "" : info.getDescription(),
				leaf.getWeight(), info.getClassName()));
		}
		out.sort(Comparator.comparingDouble(Entry::weight).thenComparing(Entry::label));
		return out;
	}
}
