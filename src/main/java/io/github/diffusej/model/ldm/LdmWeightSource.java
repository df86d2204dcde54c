package io.github.diffusej.model.ldm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.io.SafetensorsFile;
import io.github.diffusej.model.WeightSource;
import io.github.diffusej.model.ldm.LdmKeyMap.Target;
import io.github.diffusej.model.ldm.LdmKeyMap.Transform;
import io.github.diffusej.model.loader.Component;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * One component (UNet, VAE or text encoder) of a single-file LDM checkpoint, presented under reference names and
 * shapes. Nothing is read until {@link #load} is called; each call reads and transforms one tensor.
 */
public final class LdmWeightSource implements WeightSource {

	/** A file shared by the three components of one checkpoint; closed when the last of them is closed. */
	static final class Shared {
		final SafetensorsFile file;
		private int users;

		Shared(SafetensorsFile file, int users) {
			this.file = file;
			this.users = users;
		}

		synchronized void release() throws IOException {
			if (--users == 0) file.close();
		}
	}

	private final Shared shared;
	private final Component component;
	private final Map<String, Target> targets;
	private final Map<String, long[]> shapes;
	private boolean closed;

	LdmWeightSource(Shared shared, Component component, Map<String, Target> targets, Map<String, long[]> shapes) {
		this.shared = shared;
		this.component = component;
		this.targets = Collections.unmodifiableMap(targets);
		this.shapes = shapes;
	}

	public Component component() {
		return component;
	}

	/** The LDM key a reference key is read from (for diagnostics). */
	public String sourceKey(String key) {
		Target t = targets.get(key);
		return t == null ? null : t.source();
	}

	@Override
	public Set<String> keys() {
		return targets.keySet();
	}

	@Override
	public long[] shape(String key) throws IOException {
		long[] s = shapes.get(key);
		if (s == null) throw missing(key);
		return s.clone();
	}

	@Override
	public NDArray load(String key, NDManager manager, DataType dtype) throws IOException {
		Target t = targets.get(key);
		if (t == null) throw missing(key);
		if (closed) throw new IOException(describe() + ": closed");
		long[] shape = shapes.get(key);
		SafetensorsFile f = shared.file;
		if (t.transform() == Transform.NONE) return f.load(t.source(), manager, dtype);
		if (!dtype.isFloating()) throw new IOException(describe() + ": '" + key + "' can only be loaded as a float type, not " + dtype);
		float[] all = f.floats(t.source());
		float[] values = all;
		int part = LdmKeyMap.splitPart(t.transform());
		if (part >= 0) {
			int n = all.length / 3;
			values = Arrays.copyOfRange(all, part * n, (part + 1) * n);
		}
		NDArray a = manager.create(values, new Shape(shape));
		if (dtype == DataType.FLOAT32) return a;
		try (a) {
			return a.toType(dtype, true);
		}
	}

	private IOException missing(String key) {
		return new IOException(describe() + ": no " + component.folder + " tensor named '" + key + "'");
	}

	@Override
	public String describe() {
		return shared.file.path() + " (" + component.folder + " of a single-file LDM checkpoint)";
	}

	@Override
	public synchronized void close() throws IOException {
		if (closed) return;
		closed = true;
		shared.release();
	}
}
