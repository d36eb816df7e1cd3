package dev.moore4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.moore4j.io.WeightSource;

/** What the model families share: the manager owning the weights, their identity, and slot loading. */
public abstract class BaseModel implements TransformerModel {
    private final NDManager manager;
    private final String hash;

    protected BaseModel(NDManager manager, String hash) {
        this.manager = manager;
        this.hash = hash;
    }

    /** A frozen linear layer read from {@code name.weight} ([out, in]) and, if asked, {@code name.bias}. */
    protected static LinearSlot loadLinear(WeightSource w, NDManager m, String name, int in, int out, boolean bias) {
        NDArray weight = w.linearInOut(name + ".weight", m, in, out);
        NDArray b = bias ? w.nd(name + ".bias", m, out) : null;
        return new LinearSlot(name, new DenseLinear(weight, b));
    }

    @Override
    public final NDManager manager() {
        return manager;
    }

    @Override
    public final String weightsHash() {
        return hash;
    }

    @Override
    public void close() {
        manager.close();
    }
}
