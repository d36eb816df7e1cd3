package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.Param;
import dev.moore4j.model.Ops;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * E LoRA experts of rank r on one d_in → d_out map, stored stacked so a mixture is two matmuls:
 * <pre>
 *   A  [E·r, d_in]   (rows e·r … e·r+r−1 are A_e; one block [r, d_in] when A is shared)
 *   B  [E·r, d_out]  (rows of block e are B_eᵀ)
 *   Σ_e g_e B_e A_e x  =  ((x Aᵀ) ⊙ g repeated r times) B
 * </pre>
 * Fresh banks are PyTorch's LoRA init: A kaiming-uniform, B zero (so the update starts at zero).
 */
public final class LoraBank {
    /** Whether each expert has its own A or all share one (HydraLoRA, MoSLD). */
    public enum A {
        PER_EXPERT, SHARED
    }

    private final Param a;
    private final Param b;
    private final int experts;
    private final int rank;
    private final boolean sharedA;

    public LoraBank(String name, int experts, int rank, int dIn, int dOut, A a, SplittableRandom rnd, NDManager m, DataType dt) {
        this(name, experts, rank, a,
                Init.create(m, Init.kaimingUniform(rnd, aRows(experts, rank, a), dIn), dt, aRows(experts, rank, a), dIn),
                m.zeros(new Shape((long) experts * rank, dOut), dt));
    }

    /** A bank with given initial A and B (spectral initialisations). */
    public LoraBank(String name, int experts, int rank, A a, NDArray aInit, NDArray bInit) {
        this.experts = experts;
        this.rank = rank;
        this.sharedA = a == A.SHARED;
        this.a = new Param(name + ".lora_A", aInit);
        this.b = new Param(name + ".lora_B", bInit);
    }

    public static long count(int experts, int rank, int dIn, int dOut, A a) {
        return (long) aRows(experts, rank, a) * dIn + (long) experts * rank * dOut;
    }

    private static int aRows(int experts, int rank, A a) {
        return (a == A.SHARED ? 1 : experts) * rank;
    }

    public List<Param> parameters() {
        return List.of(a, b);
    }

    public int experts() {
        return experts;
    }

    public int rank() {
        return rank;
    }

    /** Training FLOPs per token: both factors are trainable. */
    public double trainFlopsPerToken() {
        Shape sa = a.value().getShape();
        Shape sb = b.value().getShape();
        return 6.0 * (sa.get(0) * sa.get(1) + sb.get(0) * sb.get(1));
    }

    private NDArray aValue(double aDropout, boolean training) {
        return Ops.dropout(a.value(), aDropout, training);
    }

    /**
     * {@code Σ_e g_e B_e A_e x} for x [..., d_in] and gates [..., E] (null only for a single expert);
     * {@code aDropout} drops entries of the (shared) A itself while training.
     */
    public NDArray forward(NDArray x, NDArray gates, double aDropout, boolean training) {
        NDArray z = x.matMul(aValue(aDropout, training).transpose()); // [..., E_a·r]
        if (experts == 1 && gates == null) {
            return z.matMul(b.value());
        }
        if (gates == null) {
            throw new IllegalArgumentException("a bank of " + experts + " experts needs gates");
        }
        long[] lead = z.getShape().slice(0, z.getShape().dimension() - 1).getShape();
        long[] split = Arrays.copyOf(lead, lead.length + 2);
        split[lead.length] = sharedA ? 1 : experts;
        split[lead.length + 1] = rank;
        long[] flat = Arrays.copyOf(lead, lead.length + 1);
        flat[lead.length] = (long) experts * rank;
        NDArray gated = z.reshape(new Shape(split)).mul(gates.expandDims(-1)); // [..., E, r]
        return gated.reshape(new Shape(flat)).matMul(b.value());
    }

    /** Each expert's own output {@code B_e A_e x}: [E, N, d_out] for x [N, d_in]. */
    public NDArray expertOutputs(NDArray xFlat, double aDropout, boolean training) {
        NDArray z = xFlat.matMul(aValue(aDropout, training).transpose()); // [N, E_a·r]
        long n = xFlat.getShape().get(0);
        NDArray zs = sharedA ? z.expandDims(0) : z.reshape(n, experts, rank).transpose(1, 0, 2); // [E or 1, N, r]
        return zs.matMul(b.value().reshape(experts, rank, -1));
    }

    /** Expert e's factors as slices: A_e [r, d_in] and B_eᵀ [r, d_out] (autograd flows into the bank). */
    public NDArray[] expert(int e) {
        NDArray ae = sharedA ? a.value() : a.value().get("{}:{}", (long) e * rank, (long) (e + 1) * rank);
        NDArray be = b.value().get("{}:{}", (long) e * rank, (long) (e + 1) * rank);
        return new NDArray[] {ae, be};
    }

    /** The merged update AᵀB [d_in, d_out] of a single-expert bank. */
    public NDArray delta() {
        return a.value().transpose().matMul(b.value());
    }
}
