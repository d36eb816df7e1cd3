package dev.moore4j.adapter;

import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A part of a model that an adaptation method put in place of a frozen one (a linear layer or a whole
 * FFN block). The shared lifecycle in {@link Adapter} sees only this: its trainable tensors, its cost,
 * its checkpoint tensors, its fast inference form and its router statistics.
 */
public interface AdapterModule extends AutoCloseable {
    /** The slot it occupies, e.g. {@code encoder.layer.0.attention.self.query}. */
    String name();

    List<Param> parameters();

    /**
     * Training FLOPs per token (forward and backward, frozen parts included): a frozen map costs twice its
     * forward (output and input gradient), a trainable one three times (plus its weight gradient).
     */
    double trainFlopsPerToken();

    /**
     * Floats per token its training forward keeps for the backward pass beyond the slot's own input and output (a
     * router's gates, a low-rank path's inner activations): what the memory plan adds to the base model's activations.
     */
    default double keptFloatsPerToken() {
        return 0;
    }

    /** Prepares a fast inference form (merged weights, folded rotations); the next training forward drops it. */
    default void fold() {}

    /** Checkpoint tensors; by default every parameter under its own name. */
    default Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Param p : parameters()) {
            out.put(p.name(), HostTensor.of(p.value()));
        }
        return out;
    }

    /** Restores {@link #state()} (shapes are checked against the parameters). */
    default void loadState(Safetensors.Reader r) {
        for (Param p : parameters()) {
            p.load(r.read(p.name(), p.value().getShape().getShape()));
        }
    }

    /**
     * Share of routed tokens per expert since the last call (then reset), or null for a module without a
     * router. Counted at inference only.
     */
    default double[] takeExpertLoad() {
        return null;
    }

    @Override
    void close();
}
