package dev.moore4j.model;

import ai.djl.ndarray.NDArray;

/**
 * A named place in a model that holds a linear layer (named as in Hugging Face checkpoints, e.g.
 * {@code encoder.layer.0.attention.self.query}). Adapters replace the layer through the slot; the
 * model's forward always calls whatever the slot holds.
 */
public final class LinearSlot {
    private final String name;
    private Linear linear;

    public LinearSlot(String name, Linear linear) {
        this.name = name;
        this.linear = linear;
    }

    public String name() {
        return name;
    }

    public Linear get() {
        return linear;
    }

    public void set(Linear replacement) {
        if (replacement.inFeatures() != linear.inFeatures() || replacement.outFeatures() != linear.outFeatures()) {
            throw new IllegalArgumentException(name + ": replacement is " + replacement.inFeatures() + "->" + replacement.outFeatures()
                    + ", slot is " + linear.inFeatures() + "->" + linear.outFeatures());
        }
        this.linear = replacement;
    }

    public NDArray forward(NDArray x, ForwardContext ctx) {
        return linear.forward(x, ctx);
    }
}
