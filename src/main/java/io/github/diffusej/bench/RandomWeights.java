package io.github.diffusej.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.diffusej.model.nn.Network;
import io.github.diffusej.model.nn.Param;
import java.util.Map;

/**
 * Fills a network built from its config with random weights made directly in native memory (no file, no Java
 * copy), with PyTorch's default scales: weights U(±1/√fan_in), embeddings N(0, 0.02²), norm scales 1, biases
 * U(±0.05). Speed and memory of a forward do not depend on the values, so a model of real size can be measured
 * without its 3 GB checkpoint.
 */
public final class RandomWeights {

	private RandomWeights() {}

	public static void fill(Network net, NDManager manager, DataType dtype, long seed) {
		Engine.getInstance().setRandomSeed((int) seed);
		for (Map.Entry<String, Param> e : net.parameters().entrySet()) {
			Shape s = e.getValue().shape();
			String key = e.getKey();
			NDArray v;
			if (key.contains("embedding") && s.dimension() == 2) v = manager.randomNormal(0, 0.02f, s, DataType.FLOAT32);
			else if (s.dimension() >= 2) {
				float bound = (float) (1 / Math.sqrt(s.size() / (double) s.get(0)));
				v = manager.randomUniform(-bound, bound, s, DataType.FLOAT32);
			}
			else if (key.endsWith(".weight")) v = manager.ones(s, DataType.FLOAT32);
			else v = manager.randomUniform(-0.05f, 0.05f, s, DataType.FLOAT32);
			if (dtype != DataType.FLOAT32) {
				NDArray c = v.toType(dtype, false);
				v.close();
				v = c;
			}
			e.getValue().set(v);
		}
	}
}
