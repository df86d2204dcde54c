package io.github.diffusej.fiji;

import ij.process.ColorProcessor;
import ij.process.ImageProcessor;

import java.awt.BorderLayout;
import java.awt.FlowLayout;
import java.awt.GridLayout;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import javax.swing.BorderFactory;
import javax.swing.ImageIcon;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTable;
import javax.swing.JTextField;
import javax.swing.RowFilter;
import javax.swing.SwingUtilities;
import javax.swing.SwingWorker;
import javax.swing.WindowConstants;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import javax.swing.table.AbstractTableModel;
import javax.swing.table.TableRowSorter;

import io.github.diffusej.data.CaptionEdits;
import io.github.diffusej.data.Dataset;
import io.github.diffusej.data.DatasetItem;
import io.github.diffusej.data.DatasetReader;
import io.github.diffusej.data.DatasetStack;
import io.github.diffusej.data.DatasetWriter;

/**
 * Review and edit the captions of a dataset: thumbnails beside editable captions, find (optionally showing only
 * matching rows) and replace
 * (plain or regular expression), a prefix for all, save and revert. Saving goes through
 * {@link DatasetWriter#saveCaptions}, so every format of the dataset and its dataset.json stay in step.
 */
final class CaptionEditorWindow extends JFrame {

	private static final long serialVersionUID = 1L;
	private static final int THUMB = 96;

	private Dataset dataset;
	private final Model model = new Model();
	private final JTable table = new JTable(model);
	private final TableRowSorter<Model> sorter = new TableRowSorter<>(model);
	private final JTextField find = new JTextField(16);
	private final JTextField replace = new JTextField(16);
	private final JCheckBox regex = new JCheckBox("Regex");
	private final JCheckBox matchCase = new JCheckBox("Match case");
	private final JCheckBox onlyMatching = new JCheckBox("Show matching only");
	private final JLabel status = new JLabel(" ");
	private SwingWorker<Void, Integer> thumbnails;

	CaptionEditorWindow(Dataset ds) {
		super("DiffuseJ captions: " + ds.location());
		setDefaultCloseOperation(WindowConstants.DO_NOTHING_ON_CLOSE);
		addWindowListener(new WindowAdapter() {

			@Override
			public void windowClosing(WindowEvent e) {
				closeIfSaved();
			}
		});
		table.setRowSorter(sorter);
		table.setRowHeight(THUMB + 4);
		table.getColumnModel().getColumn(0).setMaxWidth(50);
		table.getColumnModel().getColumn(1).setMinWidth(THUMB + 4);
		table.getColumnModel().getColumn(1).setMaxWidth(THUMB + 4);
		table.getColumnModel().getColumn(2).setMaxWidth(90);
		table.getColumnModel().getColumn(3).setPreferredWidth(140);
		table.getColumnModel().getColumn(4).setPreferredWidth(520);
		table.setSurrendersFocusOnKeystroke(true);

		JPanel search = new JPanel(new FlowLayout(FlowLayout.LEFT));
		search.add(new JLabel("Find"));
		search.add(find);
		search.add(new JLabel("Replace with"));
		search.add(replace);
		JPanel actions = new JPanel(new FlowLayout(FlowLayout.LEFT));
		actions.add(regex);
		actions.add(matchCase);
		actions.add(onlyMatching);
		actions.add(button("Replace in all", this::replaceAll));
		actions.add(button("Prefix all...", this::prefixAll));
		JPanel top = new JPanel(new GridLayout(2, 1));
		top.add(search);
		top.add(actions);
		find.getDocument().addDocumentListener(new DocumentListener() {

			@Override
			public void insertUpdate(DocumentEvent e) {
				filter();
			}

			@Override
			public void removeUpdate(DocumentEvent e) {
				filter();
			}

			@Override
			public void changedUpdate(DocumentEvent e) {
				filter();
			}
		});
		regex.addActionListener(e -> filter());
		matchCase.addActionListener(e -> filter());
		onlyMatching.addActionListener(e -> filter());

		JPanel bottom = new JPanel(new BorderLayout());
		JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT));
		buttons.add(button("Revert", this::revert));
		buttons.add(button("Save", this::save));
		buttons.add(button("Close", this::closeIfSaved));
		status.setBorder(BorderFactory.createEmptyBorder(0, 8, 0, 0));
		bottom.add(status, BorderLayout.CENTER);
		bottom.add(buttons, BorderLayout.EAST);

		getContentPane().add(top, BorderLayout.NORTH);
		getContentPane().add(new JScrollPane(table), BorderLayout.CENTER);
		getContentPane().add(bottom, BorderLayout.SOUTH);
		load(ds);
		setSize(980, 640);
		setLocationByPlatform(true);
	}

	private static JButton button(String label, Runnable action) {
		JButton b = new JButton(label);
		b.addActionListener(e -> action.run());
		return b;
	}

	private void load(Dataset ds) {
		dataset = ds;
		model.set(ds);
		updateStatus();
		if (thumbnails != null) thumbnails.cancel(true);
		List<DatasetItem> items = ds.all();
		thumbnails = new SwingWorker<>() {

			@Override
			protected Void doInBackground() {
				for (int i = 0; i < items.size() && !isCancelled(); i++) {
					model.icons[i] = thumbnail(items.get(i));
					publish(i);
				}
				return null;
			}

			@Override
			protected void process(List<Integer> rows) {
				for (int r : rows) if (r < model.getRowCount()) model.fireTableCellUpdated(r, 1);
			}
		};
		thumbnails.execute();
	}

	private static ImageIcon thumbnail(DatasetItem it) {
		try {
			ColorProcessor cp = DatasetStack.readRgb(it.image());
			double s = (double) THUMB / Math.max(cp.getWidth(), cp.getHeight());
			cp.setInterpolationMethod(ImageProcessor.BILINEAR);
			ImageProcessor small = cp.resize(Math.max(1, (int) (cp.getWidth() * s)), Math.max(1, (int) (cp.getHeight() * s)),
				true);
			return new ImageIcon(small.createImage());
		}
		catch (IOException e) {
			return null;
		}
	}

	private void filter() {
		String f = find.getText();
		if (f.isEmpty() || !onlyMatching.isSelected()) {
			sorter.setRowFilter(null);
			updateStatus();
			return;
		}
		try {
			int flags = matchCase.isSelected() ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
			Pattern p = Pattern.compile(regex.isSelected() ? f : Pattern.quote(f), flags);
			sorter.setRowFilter(new RowFilter<Model, Integer>() {

				@Override
				public boolean include(Entry<? extends Model, ? extends Integer> entry) {
					return p.matcher(model.captions.get(entry.getIdentifier())).find();
				}
			});
			updateStatus();
		}
		catch (PatternSyntaxException e) {
			status.setText("Bad regular expression: " + e.getDescription());
		}
	}

	private void stopEditing() {
		if (table.isEditing()) table.getCellEditor().stopCellEditing();
	}

	private void replaceAll() {
		stopEditing();
		try {
			CaptionEdits.Result r = CaptionEdits.replaceAll(model.captions, find.getText(), replace.getText(),
				regex.isSelected(), matchCase.isSelected());
			model.setCaptions(r.captions());
			filter();
			status.setText(r.replacements() + " replacements in " + r.captionsChanged() + " captions (not saved yet)");
		}
		catch (IllegalArgumentException e) {
			JOptionPane.showMessageDialog(this, e.getMessage(), "Replace", JOptionPane.ERROR_MESSAGE);
		}
	}

	private void prefixAll() {
		stopEditing();
		String p = JOptionPane.showInputDialog(this, "Text to put before every caption (e.g. the trigger token):");
		if (p == null || p.isBlank()) return;
		model.setCaptions(CaptionEdits.prefixAll(model.captions, p));
		updateStatus();
	}

	private void save() {
		stopEditing();
		List<String> captions = new ArrayList<>(model.captions);
		Dataset ds = dataset;
		status.setText("Saving...");
		new SwingWorker<Dataset, Void>() {

			@Override
			protected Dataset doInBackground() throws IOException {
				return DatasetWriter.saveCaptions(ds, captions);
			}

			@Override
			protected void done() {
				try {
					load(get());
					status.setText("Saved " + captions.size() + " captions to " + ds.location());
				}
				catch (Exception e) {
					Throwable t = e.getCause() != null ? e.getCause() : e;
					JOptionPane.showMessageDialog(CaptionEditorWindow.this, t.getMessage(), "Save captions",
						JOptionPane.ERROR_MESSAGE);
					status.setText("Not saved: " + t.getMessage());
				}
			}
		}.execute();
	}

	private void revert() {
		stopEditing();
		try {
			load(DatasetReader.read(dataset.location()));
		}
		catch (IOException e) {
			JOptionPane.showMessageDialog(this, e.getMessage(), "Revert", JOptionPane.ERROR_MESSAGE);
		}
	}

	private void closeIfSaved() {
		stopEditing();
		if (model.dirty()) {
			int a = JOptionPane.showConfirmDialog(this, "Captions were changed. Save them before closing?",
				"Unsaved captions", JOptionPane.YES_NO_CANCEL_OPTION);
			if (a == JOptionPane.CANCEL_OPTION || a == JOptionPane.CLOSED_OPTION) return;
			if (a == JOptionPane.YES_OPTION) {
				try {
					DatasetWriter.saveCaptions(dataset, model.captions);
				}
				catch (IOException | IllegalArgumentException e) {
					JOptionPane.showMessageDialog(this, e.getMessage(), "Save captions", JOptionPane.ERROR_MESSAGE);
					return;
				}
			}
		}
		if (thumbnails != null) thumbnails.cancel(true);
		dispose();
	}

	private void updateStatus() {
		int shown = table.getRowCount();
		int all = model.getRowCount();
		status.setText(all + " items" + (shown != all ? ", " + shown + " shown" : "") + (model.dirty() ? ", unsaved changes" : ""));
	}

	/** Shows the window for a dataset on the Swing thread. */
	static void show(Dataset ds) {
		SwingUtilities.invokeLater(() -> new CaptionEditorWindow(ds).setVisible(true));
	}

	private final class Model extends AbstractTableModel {

		private static final long serialVersionUID = 1L;
		private static final String[] COLUMNS = {"#", "Image", "Split", "File", "Caption"};

		private List<DatasetItem> items = List.of();
		private List<String> saved = List.of();
		private List<String> captions = new ArrayList<>();
		private int trainCount;
		private volatile ImageIcon[] icons = new ImageIcon[0];

		void set(Dataset ds) {
			items = ds.all();
			trainCount = ds.items().size();
			saved = items.stream().map(DatasetItem::caption).toList();
			captions = new ArrayList<>(saved);
			icons = new ImageIcon[items.size()];
			fireTableDataChanged();
		}

		void setCaptions(List<String> c) {
			captions = new ArrayList<>(c);
			fireTableDataChanged();
		}

		boolean dirty() {
			return !captions.equals(saved);
		}

		@Override
		public int getRowCount() {
			return items.size();
		}

		@Override
		public int getColumnCount() {
			return COLUMNS.length;
		}

		@Override
		public String getColumnName(int c) {
			return COLUMNS[c];
		}

		@Override
		public Class<?> getColumnClass(int c) {
			return switch (c) {
				case 0 -> Integer.class;
				case 1 -> ImageIcon.class;
				default -> String.class;
			};
		}

		@Override
		public boolean isCellEditable(int r, int c) {
			return c == 4;
		}

		@Override
		public Object getValueAt(int r, int c) {
			return switch (c) {
				case 0 -> r + 1;
				case 1 -> r < icons.length ? icons[r] : null;
				case 2 -> r < trainCount ? "train" : "validation";
				case 3 -> items.get(r).image().getFileName().toString();
				default -> captions.get(r);
			};
		}

		@Override
		public void setValueAt(Object v, int r, int c) {
			if (c != 4) return;
			captions.set(r, v == null ? "" : v.toString().replaceAll("\\s+", " ").strip());
			fireTableCellUpdated(r, c);
			updateStatus();
		}
	}
}
