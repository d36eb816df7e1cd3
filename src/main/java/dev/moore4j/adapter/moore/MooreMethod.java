package dev.moore4j.adapter.moore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.common.Spectral;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.Ops;

import java.util.List;

/** MoORE: every target weight becomes its k orthogonal rank-one SVD experts under a task and sample router (see {@link MooreLinear}). */
@Method.Named(value = "moore", summary = "MoORE: orthogonal rank-one SVD experts, task and sample router, Householder input rotation",
        display = "MoORE", colour = 0xD55E00)
public final class MooreMethod extends LinearMethod<MooreMethod.Config> {
    /**
     * MoORE hyperparameters (METHODS.md §1); JSON keys in snake_case.
     *
     * @param taskEmbeddingDim D_t, width of the task embeddings (default 64)
     * @param sampleRouterDim  D_s, width of the sample router's bottleneck (default 128)
     * @param householder      L, Householder vectors (even, so the chain starts at identity; default 8)
     * @param targets          target module patterns (see {@code TargetMatcher}); empty = all linear layers
     * @param svdFp64          factorise in double precision (default false)
     */
    public record Config(int taskEmbeddingDim, int sampleRouterDim, int householder, List<String> targets, boolean svdFp64)
            implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            if (taskEmbeddingDim < 1 || sampleRouterDim < 1) {
                throw new MooreException("keys 'task_embedding_dim' and 'sample_router_dim' must be positive");
            }
            if (householder < 0 || householder % 2 != 0) {
                throw new MooreException("key 'householder' must be an even number ≥ 0 (vectors start in identical pairs), got " + householder);
            }
        }

        /** The reference defaults: D_t = 64, D_s = 128, L = 8, all linear layers. */
        public static Config reference() {
            return new Config(64, 128, 8, List.of(), false);
        }

        public Config withTargets(List<String> t) {
            return new Config(taskEmbeddingDim, sampleRouterDim, householder, t, svdFp64);
        }
    }

    @Override
    public boolean routesByTask() {
        return true;
    }

    /** Its router adjusts the singular values per task and token: a run has a routing analysis like a mixture's. */
    @Override
    public boolean hasRouter() {
        return true;
    }

    @Override
    public String budgetKey() {
        return "householder";
    }

    /** Before methods had their own configs, MoORE's hyperparameters sat at the top level of the training config. */
    @Override
    public void upgradeLegacyConfig(ObjectNode trainConfig) {
        String[][] moved = {{"taskEmbeddingDim", "task_embedding_dim"}, {"sampleRouterDim", "sample_router_dim"}, {"householder", "householder"}};
        boolean mine = name().equals(trainConfig.path("method").asText(name()));
        for (String[] m : moved) {
            JsonNode v = trainConfig.remove(m[0]);
            if (v != null && mine) {
                ObjectNode a = trainConfig.path("adapter").isObject() ? (ObjectNode) trainConfig.get("adapter") : trainConfig.putObject("adapter");
                if (!a.has(m[1])) {
                    a.set(m[1], v);
                }
            }
        }
    }

    @Override
    public Config defaults() {
        return Config.reference();
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {
        if (c.householder() > 0) {
            checkRank(name(), "householder", c.householder(), slot, dIn, dIn);
        }
    }

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        long k = Math.min(dIn, dOut);
        return (long) tasks * c.taskEmbeddingDim() + k * c.taskEmbeddingDim() + (long) c.sampleRouterDim() * dIn + k * c.sampleRouterDim()
                + (long) c.householder() * dIn;
    }

    /** V and Uᵀ, frozen, are held as W was loaded (16 bits with {@code --weights-dtype fp16}); the router is fp32. */
    @Override
    protected boolean keeps16BitWeights() {
        return true;
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        DataType dt = w.weightInOut().getDataType();
        NDManager m = w.weightInOut().getManager();
        Spectral.Triplets t = Spectral.of(w, ctx.cache(), c.svdFp64() ? Svd.Precision.FP64 : Svd.Precision.FP32);
        NDArray v = Ops.convertClosing(m.create(t.v(), new Shape(t.dIn(), t.k())), dt);
        NDArray s = m.create(t.s(), new Shape(t.k())); // fp32: the router adds to it
        NDArray ut = Ops.convertClosing(m.create(t.ut(), new Shape(t.k(), t.dOut())), dt);
        w.closeWeight(); // W is not kept once factorised
        return new MooreLinear(slot, v, s, ut, w.bias(), c, ctx.tasks(), ctx.layerSeed(index), m);
    }
}
