package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.model.DenseLinear;

/** MoORE: every target weight becomes its k orthogonal rank-one SVD experts under a task and sample router (see {@link MooreLinear}). */
public final class MooreMethod extends LinearMethod<MooreConfig> {
    @Override
    public String name() {
        return "moore";
    }

    @Override
    public String summary() {
        return "MoORE: orthogonal rank-one SVD experts, task and sample router, Householder input rotation";
    }

    @Override
    public MooreConfig defaults() {
        return MooreConfig.defaults();
    }

    @Override
    public Class<MooreConfig> configType() {
        return MooreConfig.class;
    }

    @Override
    protected void check(MooreConfig c, String slot, int dIn, int dOut, int tasks) {
        if (c.householder() > 0) {
            checkRank(name(), "householder", c.householder(), slot, dIn, dIn);
        }
    }

    @Override
    protected long layerCount(MooreConfig c, int dIn, int dOut, int tasks) {
        long k = Math.min(dIn, dOut);
        return (long) tasks * c.taskEmbeddingDim() + k * c.taskEmbeddingDim() + (long) c.sampleRouterDim() * dIn + k * c.sampleRouterDim()
                + (long) c.householder() * dIn;
    }

    @Override
    protected AdapterLayer layer(MooreConfig c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        DataType dt = w.weightInOut().getDataType();
        NDManager m = w.weightInOut().getManager();
        Spectral.Triplets t = Spectral.of(w, ctx.cache(), c.svdFp64());
        NDArray v = m.create(t.v(), new Shape(t.dIn(), t.k())).toType(dt, false);
        NDArray s = m.create(t.s(), new Shape(t.k())).toType(dt, false);
        NDArray ut = m.create(t.ut(), new Shape(t.k(), t.dOut())).toType(dt, false);
        w.closeWeight(); // W is not kept once factorised
        return new MooreLinear(slot, v, s, ut, w.bias(), c, ctx.tasks(), ctx.layerSeed(index), m);
    }
}
