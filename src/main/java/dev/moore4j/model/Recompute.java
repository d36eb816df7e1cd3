package dev.moore4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.moore4j.engine.Engines;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Activation recomputation, one transformer layer at a time (what PyTorch calls gradient
 * checkpointing). The forward pass runs each layer without autograd and keeps only its input, so no
 * layer's activations outlive it; the loss's backward pass ends at the last layer's output;
 * {@link #backward} then runs the layers again from the last, each with its graph, and pushes the
 * incoming gradient through it. Memory: one layer's activations instead of all of them; time: one
 * more forward pass. Each layer draws its random numbers (dropout) from a seed of its own, set before
 * both of its runs, so the two runs are the same computation.
 */
public final class Recompute {
    private final long seed;
    private final List<NDArray> inputs = new ArrayList<>();
    private final List<UnaryOperator<NDArray>> layers = new ArrayList<>();
    private ForwardContext.AuxLosses aux;
    private NDArray output;

    /** @param seed this pass's random seed (the step's, say); layer l uses a seed derived from it */
    public Recompute(long seed) {
        this.seed = seed;
    }

    void collect(ForwardContext.AuxLosses aux) {
        this.aux = aux;
    }

    private void seedLayer(int l) {
        Engine.getInstance().setRandomSeed((int) (seed * 1_000_033L + 7919L * (l + 1)));
    }

    /** First pass of one layer: runs it without autograd, keeps its input, returns its output. */
    public NDArray layer(NDArray x, UnaryOperator<NDArray> body) {
        NDArray in = x.stopGradient();
        int l = layers.size();
        inputs.add(in);
        layers.add(body);
        seedLayer(l);
        boolean paused = aux != null && aux.paused;
        if (aux != null) {
            aux.paused = true;
        }
        NDArray out;
        try (NDScope scope = new NDScope()) {
            out = Engines.withoutGrad(() -> body.apply(in)); // no graph: the layer runs again, with one, in backward
            NDScope.unregister(out);
        } finally {
            if (aux != null) {
                aux.paused = paused;
            }
        }
        NDScope.register(out);
        return out;
    }

    /** The last layer's output as the leaf where the loss's graph begins. */
    public NDArray output(NDArray h) {
        output = h;
        output.setRequiresGradient(true);
        return output;
    }

    /**
     * After the loss's backward pass: the layers again, last first, each recomputed with its graph and
     * given the gradient of its output. {@code auxWeight} scales the layers' auxiliary losses as the loss
     * was scaled. Returns the auxiliary losses' value (weighted), which the first pass left out.
     */
    public double backward(GradientCollector gc, double auxWeight) {
        if (output == null) {
            throw new IllegalStateException("Recompute.backward before a forward pass reached the last layer");
        }
        NDArray grad = output.getGradient();
        double auxValue = 0;
        for (int l = layers.size() - 1; l >= 0; l--) {
            NDArray x = inputs.get(l);
            if (l > 0) {
                x.setRequiresGradient(true);
            }
            seedLayer(l);
            NDArray next = null;
            try (NDScope scope = new NDScope()) {
                int before = aux == null ? 0 : aux.size();
                NDArray target = layers.get(l).apply(x).mul(grad).sum();
                if (aux != null) {
                    for (NDArray t : aux.takeFrom(before)) {
                        NDArray term = Ops.mul(t.toType(target.getDataType(), false), auxWeight);
                        auxValue += term.getFloat();
                        target = target.add(term);
                    }
                }
                if (Engines.requiresGrad(target)) { // layer 0 of a method that trains nothing in it
                    gc.backward(target);
                }
                if (l > 0) {
                    next = x.getGradient().duplicate();
                    NDScope.unregister(next);
                }
            }
            grad = next;
        }
        return auxValue;
    }
}
