package io.github.diffusej.model.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node of a network tree with explicitly named children and parameters. Names are the reference checkpoint's
 * (diffusers / transformers module names), so the flattened parameter map has exactly the reference state-dict
 * keys. A child name may contain dots ({@code to_out.0}, {@code ff.net.2}): lookup matches whole name segments.
 * Modules hold parameters only, never managers; forward temporaries belong to the caller's scope.
 */
public abstract class Module {

	private final Map<String, Module> children = new LinkedHashMap<>();
	private final Map<String, Param> params = new LinkedHashMap<>();

	protected final <M extends Module> M child(String name, M module) {
		if (children.put(name, module) != null) throw new IllegalStateException("duplicate child " + name);
		return module;
	}

	protected final Param param(String name, long... shape) {
		Param p = new Param(shape);
		if (params.put(name, p) != null) throw new IllegalStateException("duplicate parameter " + name);
		return p;
	}

	public final Map<String, Module> children() {
		return Collections.unmodifiableMap(children);
	}

	/** Every parameter of this subtree, keyed by its reference name, in registration (module) order. */
	public final Map<String, Param> parameters() {
		Map<String, Param> out = new LinkedHashMap<>();
		collect("", out);
		return out;
	}

	private void collect(String prefix, Map<String, Param> out) {
		params.forEach((n, p) -> out.put(prefix + n, p));
		children.forEach((n, c) -> c.collect(prefix + n + ".", out));
	}

	/** Every module of this subtree keyed by its dotted path ("" for this one). */
	public final Map<String, Module> modules() {
		Map<String, Module> out = new LinkedHashMap<>();
		walk("", out);
		return out;
	}

	private void walk(String path, Map<String, Module> out) {
		out.put(path, this);
		children.forEach((n, c) -> c.walk(path.isEmpty() ? n : path + "." + n, out));
	}

	/** The module at a dotted path such as {@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}. */
	public final Module find(String path) {
		Module m = findOrNull(path);
		if (m == null) throw new IllegalArgumentException("no module '" + path + "' in " + getClass().getSimpleName());
		return m;
	}

	/** Like {@link #find} but typed; fails when the module has another type. */
	public final <M extends Module> M find(String path, Class<M> type) {
		Module m = find(path);
		if (!type.isInstance(m)) throw new IllegalArgumentException("module '" + path + "' is a "
			+ m.getClass().getSimpleName() + ", not a " + type.getSimpleName());
		return type.cast(m);
	}

	private Module findOrNull(String path) {
		if (path.isEmpty()) return this;
		for (Map.Entry<String, Module> e : children.entrySet()) {
			String n = e.getKey();
			if (path.equals(n)) return e.getValue();
			if (path.startsWith(n + ".")) {
				Module m = e.getValue().findOrNull(path.substring(n.length() + 1));
				if (m != null) return m;
			}
		}
		return null;
	}
}
