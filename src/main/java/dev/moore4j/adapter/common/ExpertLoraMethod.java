package dev.moore4j.adapter.common;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.LinearMethod;
import dev.moore4j.adapter.MethodConfig;
import dev.moore4j.model.DenseLinear;

import java.util.List;
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
            MethodConfig.checkRank(r);
            MethodConfig.checkDropout("dropout", dropout);
        }
    }

    /**
     * The experts and routing keys of the methods with dense routing over E experts and nothing else
     * (LoRAMoE, HydraLoRA): they differ in A's sharing and their default targets, not in their keys.
     *
     * @param experts LoRA experts (HydraLoRA: B heads) per layer
     * @param r       rank of each expert
     * @param alpha   scale numerator, α/r
     * @param dropout dropout on the adapter's input
     * @param targets target patterns (empty: the method's default)
     */
    public record DenseConfig(int experts, int r, double alpha, double dropout, List<String> targets) implements Spec {
        public DenseConfig {
            targets = targets == null ? List.of() : List.copyOf(targets);
            Spec.validate(experts, 0, r, dropout);
        }
    }

    /** Whether expert outputs are mixed as they are, or made mutually orthogonal per token first (OMoE). */
    public enum Outputs {
        AS_THEY_ARE, ORTHOGONALISED
    }

    private final LoraBank.A a;
    private final Outputs outputs;

    protected ExpertLoraMethod(LoraBank.A a, Outputs outputs) {
        this.a = a;
        this.outputs = outputs;
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
        return LoraBank.count(c.experts(), expertRank(c), dIn, dOut, a) + (long) c.experts() * dIn;
    }

    @Override
    protected AdapterLayer layer(C c, String slot, DenseLinear w, AdaptContext ctx, int index) {
        SplittableRandom rnd = new SplittableRandom(ctx.layerSeed(index));
        var m = w.weightInOut().getManager();
        var dt = w.weightInOut().getDataType();
        Router router = new Router(slot + ".router", c.experts(), w.inFeatures(), c.topK(), c.balanceCoef(), rnd, m, dt);
        LoraBank bank = new LoraBank(slot, c.experts(), expertRank(c), w.inFeatures(), w.outFeatures(), a, rnd, m, dt);
        return LowRankLinear.mixture(slot, w.weightInOut(), w.bias(), bank, c.alpha() / expertRank(c), c.dropout(),
                new LowRankLinear.Mixing(router, c.aDropout(), outputs == Outputs.ORTHOGONALISED));
    }
}
