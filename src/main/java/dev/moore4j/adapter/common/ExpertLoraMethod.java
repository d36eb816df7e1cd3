package dev.moore4j.adapter.common;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.adapter.lora.LoraMethod;
import dev.moore4j.model.DenseLinear;

import java.util.SplittableRandom;

/**
 * The LoRA-mixture methods that put a router and E LoRA experts on each target linear (LoRAMoE, MoLA,
 * HydraLoRA, MoSLD, OMoE, GOAT). They differ in the router (dense or top-k), whether A is shared, whether
 * A itself is dropped out, whether expert outputs are orthogonalised, and how the experts start.
 */
public abstract class ExpertLoraMethod<C extends ExpertLoraMethod.Spec> extends LinearMethod<C> {
    /** The hyperparameters every such method has. */
    public interface Spec extends MethodConfig {
        int experts();

        int r();

        double alpha();

        double dropout();

        /** 0 = dense routing. */
        default int topK() {
            return 0;
        }

        default double balanceCoef() {
            return 0;
        }

        /** Dropout on the (shared) A matrix itself. */
        default double aDropout() {
            return 0;
        }

        /** Checks the shared keys; call from the record's constructor. */
        static void validate(int experts, int topK, int r, double dropout) {
            if (experts < 1) {
                throw new MooreException("key 'experts' must be at least 1, got " + experts);
            }
            if (topK < 0 || topK > experts) {
                throw new MooreException("key 'top_k' = " + topK + " must be between 1 and 'experts' = " + experts + " (0 = dense)");
            }
            if (r < 1) {
                throw new MooreException("key 'r' must be at least 1, got " + r);
            }
            LoraMethod.checkDropout("dropout", dropout);
        }
    }

    private final boolean sharedA;
    private final boolean orthogonal;

    protected ExpertLoraMethod(boolean sharedA, boolean orthogonal) {
        this.sharedA = sharedA;
        this.orthogonal = orthogonal;
    }

    /** Rank of one expert (GOAT divides its total rank among the experts). */
    protected int expertRank(C c) {
        return c.r();
    }

    @Override
    protected void check(C c, String slot, int dIn, int dOut, int tasks) {
        checkRank(name(), "r", c.r(), slot, dIn, dOut);
    }

    @Override
    protected long layerCount(C c, int dIn, int dOut, int tasks) {
        return LoraBank.count(c.experts(), expertRank(c), dIn, dOut, sharedA) + (long) c.experts() * dIn;
    }

    @Override
    protected AdapterLayer layer(C c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        SplittableRandom rnd = new SplittableRandom(ctx.layerSeed(index));
        var m = w.weightInOut().getManager();
        var dt = w.weightInOut().getDataType();
        Router router = new Router(slot + ".router", c.experts(), w.inFeatures(), c.topK(), c.balanceCoef(), rnd, m, dt);
        LoraBank bank = new LoraBank(slot, c.experts(), expertRank(c), w.inFeatures(), w.outFeatures(), sharedA, rnd, m, dt);
        return new LowRankLinear(slot, w.weightInOut(), w.bias(), bank, router, c.alpha() / expertRank(c), c.dropout(), c.aDropout(), orthogonal);
    }
}
