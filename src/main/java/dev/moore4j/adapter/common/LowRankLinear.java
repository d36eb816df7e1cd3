package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

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
            return withBias(Ops.frozenMatMul(x, fast));
        }
        NDArray y = frozen.forward(x, ctx);
        NDArray in = Ops.dropout(x, dropout, ctx.training());
        NDArray gates = router == null ? null : router.gates(x, ctx); // the router reads x itself, not the dropped copy
        NDArray delta = orthogonal ? orthogonalMix(in, gates, ctx) : bank.forward(in, gates, aDropout, ctx.training());
        return y.add(Ops.mul(delta, scale));
    }

    /**
     * Σ_e g_e r_e, r_e = o_e − Σ_{j<e} ⟨o_e, r_j⟩/(⟨r_j, r_j⟩ + ε) r_j: Gram–Schmidt over the expert outputs o_e of
     * each token. It runs on the Gram matrix G = O Oᵀ [N, E, E] instead of on the outputs: with r_e = Σ_i L_ei o_i,
     * ⟨o_e, r_j⟩ = (G L_j)_e and ⟨r_j, r_j⟩ = L_j·G L_j, so the recurrence touches [N, E] tensors and the outputs
     * are read twice (G, then y = (gᵀ L) O) rather than once per projection — E²/2 fewer passes over [N, d_out]
     * and nothing of that size saved for the backward pass but O itself.
     */
    private NDArray orthogonalMix(NDArray x, NDArray gates, ForwardContext ctx) {
        long[] shape = x.getShape().getShape().clone();
        NDArray flat = x.reshape(-1, shape[shape.length - 1]);
        int experts = bank.experts();
        NDArray o = bank.expertOutputs(flat, aDropout, ctx.training()).transpose(1, 0, 2); // [N, E, d_out]
        NDArray gram = o.matMul(o.transpose(0, 2, 1));                                        // [N, E, E]
        NDArray g = gates == null ? null : gates.reshape(-1, experts);
        NDArray[] rows = new NDArray[experts]; // L_e [N, E] (row 0: the unit vector, [1, E])
        NDArray[] q = new NDArray[experts];    // (G L_j) / (L_j·G L_j + ε) [N, E]
        NDArray weight = null;                 // gᵀ L [N, E]
        for (int e = 0; e < experts; e++) {
            NDArray row = unitRow(flat, experts, e);
            for (int j = 0; j < e; j++) {
                row = row.sub(q[j].get(":, {}:{}", e, e + 1).mul(rows[j]));
            }
            rows[e] = row;
            if (e < experts - 1) {
                NDArray v = gram.matMul(row.expandDims(-1)).squeeze(-1);
                // ⟨r_j, r_j⟩ ≥ 0 exactly; clamped because through G it can round below zero
                NDArray den = Ops.add(Ops.maximum(row.mul(v).sum(new int[] {-1}, true), 0), GS_EPS);
                q[e] = v.div(den);
            }
            NDArray term = g == null ? row : row.mul(g.get(":, {}:{}", e, e + 1));
            weight = weight == null ? term : weight.add(term);
        }
        NDArray y = weight.expandDims(1).matMul(o).squeeze(1); // [N, d_out]
        shape[shape.length - 1] = y.getShape().get(1);
        return y.reshape(shape);
    }

    /** The unit row e_e as [1, E]. */
    private static NDArray unitRow(NDArray like, int experts, int e) {
        double[] v = new double[experts];
        v[e] = 1;
        return like.getManager().create(v, new Shape(1, experts)).toType(like.getDataType(), false);
    }

    /** Single expert: merge into one matrix W + scale·AᵀB for inference (the LoRA family's fast form). */
    @Override
    public void fold() {
        if (router != null || orthogonal) {
            return;
        }
        setFastWeight(Ops.convertClosing(mergedWeightInOut(), w.getDataType())); // held as narrow as W
    }

    /** W + scale·AᵀB; only a single-expert layer has one (a mixture's map depends on the token). */
    @Override
    public NDArray mergedWeightInOut() {
        if (router != null || orthogonal) {
            throw new MooreException(name + ": a mixture of experts cannot be merged into one dense weight");
        }
        NDArray wide = Ops.wide(w);
        NDArray merged = wide.add(Ops.mul(bank.delta(), scale)).stopGradient();
        if (wide != w) {
            wide.close();
        }
        return merged;
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

    /**
     * x Aᵀ (all experts' ranks), gated and repeated once more when routed, the router's logits and gates, and with
     * dropout on the input its mask, the dropped and the rescaled input.
     */
    @Override
    public double keptFloatsPerToken() {
        double inner = (double) bank.experts() * bank.rank();
        double dropped = dropout > 0 ? 2.25 * inFeatures() : 0;
        return dropped + (router == null ? inner : 2 * inner + 2.0 * bank.experts());
    }

    @Override
    public double[] takeExpertLoad() {
        return router == null ? null : router.takeLoad();
    }
}
