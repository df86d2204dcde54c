// Makes examples/cells.tif, the bundled example: a synthetic 16-bit "fluorescent nuclei" stack (4 slices,
// 192x192, 0.1625 µm pixels) with noise, the kind of data DiffuseJ turns into a training set. Run from the
// project root after `mvn -B -q package -DskipTests` (bin/diffusej writes target/classpath.txt):
//   java -cp "target/classes:$(cat target/classpath.txt)" examples/MakeExampleStack.java
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.ShortProcessor;
import java.util.Random;

public class MakeExampleStack {

	public static void main(String[] args) {
		int w = 192, h = 192, slices = 4;
		Random r = new Random(2026);
		ImageStack stack = new ImageStack(w, h);
		for (int z = 0; z < slices; z++) {
			double[] img = new double[w * h];
			for (int n = 0; n < 14; n++) {
				double cx = 12 + r.nextDouble() * (w - 24), cy = 12 + r.nextDouble() * (h - 24);
				double rx = 7 + r.nextDouble() * 6, ry = rx * (0.7 + r.nextDouble() * 0.5), bright = 900 + r.nextDouble() * 1600;
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++) {
						double dx = (x - cx) / rx, dy = (y - cy) / ry, d = dx * dx + dy * dy;
						if (d < 4) img[y * w + x] += bright * Math.exp(-d * d * 1.5) * (0.85 + 0.15 * Math.sin(x * 0.9 + y * 0.7));
					}
			}
			short[] px = new short[w * h];
			for (int i = 0; i < px.length; i++)
				px[i] = (short) Math.min(65535, Math.max(0, Math.round(180 + img[i] + r.nextGaussian() * 25)));
			stack.addSlice("nuclei z" + (z + 1), new ShortProcessor(w, h, px, null));
		}
		ImagePlus imp = new ImagePlus("cells", stack);
		Calibration c = imp.getCalibration();
		c.pixelWidth = c.pixelHeight = 0.1625;
		c.setUnit("micron");
		IJ.saveAsTiff(imp, "examples/cells.tif");
		System.out.println("wrote examples/cells.tif");
	}
}
