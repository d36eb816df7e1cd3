package dev.moore4j.adapter.hra;

import ai.djl.ndarray.NDArray;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.Method;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.common.FrozenLinearAdapter;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.adapter.common.Init;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Mergeable;

import java.util.List;
import java.util.SplittableRandom;

/** HRA: {@code y = W Hᵀ x} with MoORE's Householder chain alone (no router); folds into {@code H W} for inference. */
@Method.Named(value = "hra", summary = "HRA: a chain of Householder reflections on the input side",
        display = "HRA", colour = 0xCC79A7)
public final class HraMethod extends LinearMethod<HraMethod.Config> {
    /**
     * @param householder L, Householder vectors per layer (even: they start in identical pairs, H = I; default 8)
     * @param targets     target patterns (default: all linear layers)
     */
    public record Config(int householder, List<String> targets) implements MethodConfig {
        public Config {
            targets = targets == null ? List.of() : List.copyOf(targets);
            if (householder < 2 || householder % 2 != 0) {
                throw new MooreException("key 'householder' must be an even number ≥ 2 (vectors start in identical pairs), got " + householder);
            }
        }
    }

    @Override
    public boolean merges() {
        return true;
    }

    @Override
    public String budgetKey() {
        return "householder";
    }

    @Override
    public Config defaults() {
        return new Config(8, List.of());
    }

    @Override
    protected void check(Config c, String slot, int dIn, int dOut, int tasks) {
        checkRank(name(), "householder", c.householder(), slot, dIn, dIn);
    }

    @Override
    protected long layerCount(Config c, int dIn, int dOut, int tasks) {
        return (long) c.householder() * dIn;
    }

    @Override
    protected AdapterLayer layer(Config c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        NDArray wio = w.weightInOut();
        double[] h = Householder.pairedInit(new SplittableRandom(ctx.layerSeed(index)), c.householder(), w.inFeatures());
        Param p = new Param(slot + ".hra_u", Init.create(wio.getManager(), h, wio.getDataType(), c.householder(), w.inFeatures()));
        return new HraLinear(slot, wio, w.bias(), p);
    }

    static final class HraLinear extends FrozenLinearAdapter implements Mergeable {
        private final Param h; // [L, d_in]
        private final Householder.Constants wy;

        HraLinear(String name, NDArray w, NDArray bias, Param h) {
            super(name, w, bias);
            this.h = h;
            this.wy = Householder.Constants.forVectors(h.value());
        }

        @Override
        public NDArray forward(NDArray x, ForwardContext ctx) {
            NDArray fast = fastWeight(ctx); // H W, folded for inference
            return withBias(fast != null ? x.matMul(fast) : Householder.applyWy(x, h.value(), wy).matMul(w));
        }

        @Override
        public void fold() {
            setFastWeight(mergedWeightInOut());
        }

        @Override
        public NDArray mergedWeightInOut() {
            return Householder.leftMultiply(w, h.value(), wy).stopGradient();
        }

        @Override
        public NDArray bias() {
            return super.bias();
        }

        @Override
        public List<Param> parameters() {
            return List.of(h);
        }

        @Override
        public void close() {
            super.close();
            wy.close();
        }

        @Override
        public double trainFlopsPerToken() {
            return 4.0 * inFeatures() * outFeatures() + 12.0 * inFeatures() * h.value().getShape().get(0);
        }
    }
}
