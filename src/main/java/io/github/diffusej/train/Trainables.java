package io.github.diffusej.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.GradMode;
import io.github.diffusej.train.optim.Scopes;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one named registry of what a run trains. Names are the keys the method writes to files (a
 * textual-inversion token, kohya LoRA keys); the optimizer's state, the EMA, checkpoints and resume are all keyed
 * by them. Each entry is a float32 master tensor marked trainable; its group (for example {@code unet},
 * {@code text_encoder}, {@code token}) selects its learning rate.
 *
 * <p>Gradients are summed here in float32 over the micro-batches of a step ({@link #accumulate}), from the masters
 * themselves or from half-precision working copies ({@link #workingCopies}) when the frozen model runs in float16:
 * DJL's casts cut the autograd graph, so the model computes with the working copies as leaves and their
 * gradients are brought back to the masters here.
 */
public final class Trainables implements AutoCloseable {

	/** One trainable tensor. */
	public record Entry(String name, NDArray value, String group) {}

	private final NDManager manager;
	private final Map<String, Entry> entries = new LinkedHashMap<>();
	private final Map<String, NDArray> gradSums = new LinkedHashMap<>();

	/** @param manager owns the masters and the gradient sums; its device is the run's */
	public Trainables(NDManager manager) {
		this.manager = manager;
	}

	public NDManager manager() {
		return manager;
	}

	/** Registers a new float32 tensor with the given initial values; returns the master (trainable). */
	public NDArray add(String name, float[] values, Shape shape, String group) {
		if (entries.containsKey(name)) throw new IllegalArgumentException("trainable '" + name + "' registered twice");
		NDArray a = Scopes.keep(manager.create(values, shape));
		a.setRequiresGradient(true);
		entries.put(name, new Entry(name, a, group));
		return a;
	}

	/** Registers an existing float32 tensor (its manager becomes this registry's); marks it trainable. */
	public NDArray add(String name, NDArray value, String group) {
		if (entries.containsKey(name)) throw new IllegalArgumentException("trainable '" + name + "' registered twice");
		if (value.getDataType() != DataType.FLOAT32) throw new IllegalArgumentException("trainable '" + name
			+ "' must be float32 (masters are float32; half precision is for working copies), not " + value.getDataType());
		Scopes.keep(value);
		value.attach(manager);
		value.setRequiresGradient(true);
		entries.put(name, new Entry(name, value, group));
		return value;
	}

	public Map<String, Entry> entries() {
		return Collections.unmodifiableMap(entries);
	}

	/** The masters by name, in registration order. */
	public Map<String, NDArray> values() {
		Map<String, NDArray> m = new LinkedHashMap<>();
		entries.forEach((k, e) -> m.put(k, e.value()));
		return m;
	}

	public NDArray get(String name) {
		Entry e = entries.get(name);
		if (e == null) throw new IllegalArgumentException("no trainable '" + name + "'");
		return e.value();
	}

	public boolean isEmpty() {
		return entries.isEmpty();
	}

	/** Trainable elements in all. */
	public long elementCount() {
		long n = 0;
		for (Entry e : entries.values()) n += e.value().size();
		return n;
	}

	/**
	 * Leaves in {@code dtype} for one step: copies of the masters (in {@code scope}) marked trainable. The method
	 * binds them into the model; their gradients come back through {@link #accumulate}.
	 */
	public Map<String, NDArray> workingCopies(DataType dtype, NDManager scope) {
		Map<String, NDArray> out = new LinkedHashMap<>();
		try (GradMode ng = GradMode.noGrad()) {
			for (Entry e : entries.values()) {
				NDArray w = e.value().toType(dtype, true);
				w.attach(scope);
				w.setRequiresGradient(true);
				out.put(e.name(), w);
			}
		}
		return out;
	}

	/**
	 * Adds {@code scale x} the gradients of {@code leaves} (the masters, or the working copies the model used)
	 * to the float32 sums, then zeroes the leaves' gradients.
	 */
	public void accumulate(Map<String, NDArray> leaves, double scale) {
		try (GradMode ng = GradMode.noGrad()) {
			for (Map.Entry<String, NDArray> e : leaves.entrySet()) {
				NDArray g = e.getValue().getGradient();
				NDArray g32 = g.getDataType() == DataType.FLOAT32 ? g.mul(scale) : g.toType(DataType.FLOAT32, false).muli(scale);
				NDArray sum = gradSums.get(e.getKey());
				if (sum == null) {
					Scopes.keep(g32);
					g32.attach(manager);
					gradSums.put(e.getKey(), g32);
				}
				else sum.addi(g32);
				g.set(new NDIndex("..."), 0);
			}
		}
	}

	/** The summed gradients by name (float32; empty before the first {@link #accumulate}). */
	public Map<String, NDArray> gradients() {
		return Collections.unmodifiableMap(gradSums);
	}

	/** The global L2 norm of the summed gradients (one device-to-host read). NaN or infinite if any is. */
	public double gradNorm() {
		if (gradSums.isEmpty()) return 0;
		try (GradMode ng = GradMode.noGrad(); NDManager scratch = manager.newSubManager()) {
			NDArray total = null;
			for (NDArray g : gradSums.values()) {
				NDArray sq = g.square().sum();
				sq.attach(scratch);
				total = total == null ? sq : total.add(sq);
				total.attach(scratch);
			}
			return Math.sqrt(total.toType(DataType.FLOAT64, false).getDouble());
		}
	}

	/** Multiplies every summed gradient by {@code factor} (gradient clipping). */
	public void scaleGradients(double factor) {
		try (GradMode ng = GradMode.noGrad()) {
			for (NDArray g : gradSums.values()) g.muli(factor);
		}
	}

	/** Drops the summed gradients (after an optimizer step). */
	public void clearGradients() {
		gradSums.values().forEach(NDArray::close);
		gradSums.clear();
	}

	/** Overwrites the masters in place (resume); every registered name must be given, with its shape. */
	public void load(Map<String, float[]> values, Map<String, long[]> shapes, String where) {
		for (String name : entries.keySet())
			if (!values.containsKey(name)) throw new TrainingException(where + ": no tensor '" + name + "' for this run");
		for (String name : values.keySet())
			if (!entries.containsKey(name)) throw new TrainingException(where + ": tensor '" + name
				+ "' is not trained by this run");
		try (GradMode ng = GradMode.noGrad()) {
			for (Entry e : entries.values()) {
				long[] want = e.value().getShape().getShape();
				if (!java.util.Arrays.equals(want, shapes.get(e.name()))) throw new TrainingException(where + ": tensor '"
					+ e.name() + "' has shape " + java.util.Arrays.toString(shapes.get(e.name())) + ", the run trains "
					+ java.util.Arrays.toString(want));
				e.value().set(FloatBuffer.wrap(values.get(e.name())));
			}
		}
	}

	@Override
	public void close() {
		clearGradients();
		entries.values().forEach(e -> e.value().close());
		entries.clear();
	}
}
