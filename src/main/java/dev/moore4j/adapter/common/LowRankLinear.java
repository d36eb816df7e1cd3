package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Param;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Mergeable;
import dev.moore4j.model.Ops;

import java.util.ArrayList;
import java.util.List;

/**
 * A frozen linear map plus a mixture of LoRA experts — the layer behind LoRA, PiSSA, MiLoRA, LoRAMoE,
 * MoLA, HydraLoRA, MoSLD, OMoE and GOAT, which differ only in how they set its parts:
 * <pre>
 *   y = W x + b + scale · Σ_e g_e(x) B_e A_e drop(x)        g = router gates (one expert: g = 1)
 * </pre>
 * W may be a residual (PiSSA, MiLoRA, GOAT subtract their initial update). With {@code orthogonal}
 * (OMoE) the expert outputs are made mutually orthogonal per token by Gram–Schmidt before mixing. A
 * single-expert layer folds into one matrix for inference.
 */
public final class LowRankLinear extends FrozenLinearAdapter implements Mergeable {
    /** Stabiliser of the Gram–Schmidt projections ⟨o, r⟩ / (⟨r, r⟩ + ε), so a zero expert output is harmless. */
    private static final double GS_EPS = 1e-6;

    private final LoraBank bank;
    private final Router router;  // null: one expert, no gates
    private final double scale;
    private final double dropout;
    private final double aDropout;
    private final boolean orthogonal;

    /**
     * How several experts are mixed.
     *
     * @param router     the gates over the experts
     * @param aDropout   dropout on the (shared) A matrix itself while training (MoSLD)
     * @param orthogonal Gram–Schmidt on the expert outputs before mixing (OMoE)
     */
    public record Mixing(Router router, double aDropout, boolean orthogonal) {}

    private LowRankLinear(String name, NDArray w, NDArray bias, LoraBank bank, double scale, double dropout, Mixing mixing) {
        super(name, w, bias);
        if (mixing == null && bank.experts() != 1) {
            throw new IllegalArgumentException(name + ": " + bank.experts() + " experts need a router");
        }
        this.bank = bank;
        this.router = mixing == null ? null : mixing.router();
        this.scale = scale;
        this.dropout = dropout;
        this.aDropout = mixing == null ? 0 : mixing.aDropout();
        this.orthogonal = mixing != null && mixing.orthogonal();
    }

    /** One LoRA update {@code scale · B A drop(x)} on {@code w}, W or a residual W_res ([d_in, d_out]); it folds into one matrix. */
    public static LowRankLinear single(String name, NDArray w, NDArray bias, LoraBank bank, double scale, double dropout) {
        return new LowRankLinear(name, w, bias, bank, scale, dropout, null);
    }

    /** The experts of {@code bank} mixed as {@code mixing} says. */
    public static LowRankLinear mixture(String name, NDArray w, NDArray bias, LoraBank bank, double scale, double dropout, Mixing mixing) {
        return new LowRankLinear(name, w, bias, bank, scale, dropout, mixing);
    }

    public LoraBank bank() {
        return bank;
    }

    @Override
    public NDArray forward(NDArray x, ForwardContext ctx) {
        NDArray fast = fastWeight(ctx);
        if (fast != null) {
            return withBias(x.matMul(fast));
        }
        NDArray y = frozen.forward(x, ctx);
        NDArray in = Ops.dropout(x, dropout, ctx.training());
        NDArray gates = router == null ? null : router.gates(x, ctx); // the router reads x itself, not the dropped copy
        NDArray delta = orthogonal ? orthogonalMix(in, gates, ctx) : bank.forward(in, gates, aDropout, ctx.training());
        return y.add(Ops.mul(delta, scale));
    }

    /** Σ_e g_e r_e, r_e = o_e − Σ_{j<e} ⟨o_e, r_j⟩/(⟨r_j, r_j⟩ + ε) r_j: Gram–Schmidt over the expert outputs o_e of each token. */
    private NDArray orthogonalMix(NDArray x, NDArray gates, ForwardContext ctx) {
        long[] shape = x.getShape().getShape().clone();
        NDArray flat = x.reshape(-1, shape[shape.length - 1]);
        NDArray o = bank.expertOutputs(flat, aDropout, ctx.training()); // [E, N, d_out]
        NDArray g = gates == null ? null : gates.reshape(-1, bank.experts());
        List<NDArray> rs = new ArrayList<>();
        NDArray y = null;
        for (int e = 0; e < bank.experts(); e++) {
            NDArray r = o.get(e);
            NDArray oe = r;
            for (NDArray prev : rs) {
                NDArray coef = oe.mul(prev).sum(new int[] {-1}, true).div(Ops.add(prev.mul(prev).sum(new int[] {-1}, true), GS_EPS));
                r = r.sub(coef.mul(prev));
            }
            rs.add(r);
            NDArray term = g == null ? r : r.mul(g.get(":, {}:{}", e, e + 1));
            y = y == null ? term : y.add(term);
        }
        shape[shape.length - 1] = y.getShape().get(1);
        return y.reshape(shape);
    }

    /** Single expert: merge into one matrix W + scale·AᵀB for inference (the LoRA family's fast form). */
    @Override
    public void fold() {
        if (router != null || orthogonal) {
            return;
        }
        setFastWeight(mergedWeightInOut());
    }

    /** W + scale·AᵀB; only a single-expert layer has one (a mixture's map depends on the token). */
    @Override
    public NDArray mergedWeightInOut() {
        if (router != null || orthogonal) {
            throw new MooreException(name + ": a mixture of experts cannot be merged into one dense weight");
        }
        return w.add(Ops.mul(bank.delta(), scale)).stopGradient();
    }

    @Override
    public NDArray bias() {
        return super.bias();
    }

    /** Whether this layer has a dense form (single expert). */
    public boolean mergeable() {
        return router == null && !orthogonal;
    }

    @Override
    public List<Param> parameters() {
        List<Param> ps = new ArrayList<>(bank.parameters());
        if (router != null) {
            ps.add(router.param());
        }
        return ps;
    }

    @Override
    public double trainFlopsPerToken() {
        double f = 4.0 * inFeatures() * outFeatures() + bank.trainFlopsPerToken();
        return router == null ? f : f + router.trainFlopsPerToken(inFeatures());
    }

    @Override
    public double[] takeExpertLoad() {
        return router == null ? null : router.takeLoad();
    }
}
