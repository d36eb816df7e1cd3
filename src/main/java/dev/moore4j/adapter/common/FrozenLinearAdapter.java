package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.model.ForwardContext;

/**
 * What adapter layers around a frozen weight share: the weight W ([d_in, d_out]) and bias, their shapes,
 * freeing, and an optional fast inference weight (merged or folded) that the next training forward drops.
 */
public abstract class FrozenLinearAdapter implements AdapterLayer {
    protected final String name;
    protected final NDArray w;    // [d_in, d_out], frozen
    protected final NDArray bias; // [d_out] or null
    private NDArray fast;         // inference weight [d_in, d_out], valid while the parameters are unchanged

    protected FrozenLinearAdapter(String name, NDArray w, NDArray bias) {
        this.name = name;
        this.w = w;
        this.bias = bias;
    }

    @Override
    public String name() {
        return name;
    }

    protected NDArray withBias(NDArray y) {
        return bias == null ? y : y.add(bias);
    }

    /** The prepared inference weight when not training (else null); a training forward drops it. */
    protected NDArray fastWeight(ForwardContext ctx) {
        if (ctx.training() && fast != null) {
            fast.close();
            fast = null;
        }
        return ctx.training() ? null : fast;
    }

    /** Installs an inference weight computed outside autograd, owned by the model's manager. */
    protected void setFastWeight(NDArray weight) {
        if (fast != null) {
            fast.close();
        }
        fast = weight;
        fast.attach(w.getManager());
        NDScope.unregister(fast);
    }

    public NDArray bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return (int) w.getShape().get(0);
    }

    @Override
    public int outFeatures() {
        return (int) w.getShape().get(1);
    }

    @Override
    public void close() {
        w.close();
        if (bias != null) {
            bias.close();
        }
        parameters().forEach(p -> p.value().close());
        if (fast != null) {
            fast.close();
        }
    }

}
