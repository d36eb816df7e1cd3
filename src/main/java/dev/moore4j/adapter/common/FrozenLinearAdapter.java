package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.ForwardContext;

/**
 * What adapter layers around a frozen weight share: the frozen layer itself (a {@link DenseLinear}: W
 * [d_in, d_out], its bias and shapes), freeing, and an optional fast inference weight (merged or folded) that
 * the next training forward drops.
 */
public abstract class FrozenLinearAdapter implements AdapterLayer {
    protected final String name;
    protected final DenseLinear frozen;
    protected final NDArray w;    // frozen.weightInOut(): [d_in, d_out]
    protected final NDArray bias; // frozen.bias(): [d_out] or null
    private NDArray fast;         // inference weight [d_in, d_out], valid while the parameters are unchanged

    /** Around W (or a residual W_res, [d_in, d_out]) and the bias. */
    protected FrozenLinearAdapter(String name, NDArray w, NDArray bias) {
        this.name = name;
        this.frozen = new DenseLinear(w, bias);
        this.w = frozen.weightInOut();
        this.bias = frozen.bias();
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
        return frozen.inFeatures();
    }

    @Override
    public int outFeatures() {
        return frozen.outFeatures();
    }

    @Override
    public void close() {
        frozen.close();
        parameters().forEach(p -> p.value().close());
        if (fast != null) {
            fast.close();
        }
    }
}
