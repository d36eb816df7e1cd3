package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.model.Ops;

import java.util.SplittableRandom;

/**
 * The Householder chain H = R₁R₂…R_L, R_i = I − 2ĥ_iĥ_iᵀ, applied to rows: {@code x ↦ xH} (= (Hᵀx)ᵀ).
 *
 * <p>Compact WY form: H = I − Y T Yᵀ with Y = [ĥ₁ … ĥ_L] and T upper triangular; for unit vectors
 * T⁻¹ = ½I + strict_upper(YᵀY) (Joffrain et al.), so T costs one L×L inverse and applying H is two
 * thin matmuls instead of L rank-one updates over the full width.
 */
public final class Householder {
    private Householder() {}

    /**
     * L vectors of width d in identical pairs (h₁ = h₂, h₃ = h₄, …), each pair uniform ±1/√d: the chain
     * starts as the identity (R R = I). Rows of the returned [L·d] array.
     */
    public static double[] pairedInit(SplittableRandom rnd, int l, int d) {
        double bound = 1.0 / Math.sqrt(d);
        double[] h = new double[l * d];
        for (int pair = 0; pair < l / 2; pair++) {
            for (int i = 0; i < d; i++) {
                double x = (rnd.nextDouble() * 2 - 1) * bound;
                h[(2 * pair) * d + i] = x;
                h[(2 * pair + 1) * d + i] = x;
            }
        }
        return h;
    }

    /** ĥ as columns: [d_in, L] from the raw vectors [L, d_in]. */
    public static NDArray unitColumns(NDArray h) {
        return h.div(h.norm(new int[] {1}, true)).transpose();
    }

    /**
     * The constant parts of T⁻¹ for L reflections: the strict upper-triangular mask and I/2 [L, L]. A layer makes
     * them once ({@link #of}) instead of on every step; they belong to the manager they were made on, outside any scope.
     */
    public record Constants(NDArray upper, NDArray half) implements AutoCloseable {
        public static Constants of(NDManager m, int l, DataType dt) {
            NDArray idx = m.arange(l);
            NDArray upper = idx.expandDims(1).lt(idx.expandDims(0)).toType(dt, false);
            NDArray half = Ops.mul(m.eye(l, l, 0, dt), 0.5);
            idx.close();
            NDScope.unregister(upper, half);
            return new Constants(upper, half);
        }

        /** For chains whose raw vectors are {@code h} [L, d]. */
        public static Constants forVectors(NDArray h) {
            return of(h.getManager(), (int) h.getShape().get(0), h.getDataType());
        }

        @Override
        public void close() {
            upper.close();
            half.close();
        }
    }

    /** T [L, L] for unit columns Y: T⁻¹ = strictly-upper(YᵀY) + I/2. */
    public static NDArray wyT(NDArray y, Constants k) {
        NDArray gram = y.transpose().matMul(y);
        return gram.mul(k.upper()).add(k.half()).inverse();
    }

    /** Rows of x times H, WY form: x − ((x Y) T) Yᵀ. */
    public static NDArray applyWy(NDArray x, NDArray h, Constants k) {
        NDArray y = unitColumns(h);
        return x.sub(x.matMul(y).matMul(wyT(y, k)).matMul(y.transpose()));
    }

    /** As {@link #applyWy(NDArray, NDArray, Constants)}, making the constants for this call (tests, benchmarks). */
    public static NDArray applyWy(NDArray x, NDArray h) {
        try (Constants k = Constants.forVectors(h)) { // autograd keeps its own reference to what it saved
            return applyWy(x, h, k);
        }
    }

    /** Rows of x times H, one reflection after another (reference form, for checks and benchmarks). */
    public static NDArray applySequential(NDArray x, NDArray h) {
        NDArray y = unitColumns(h);
        long l = y.getShape().get(1);
        for (long i = 0; i < l; i++) {
            NDArray yi = y.get(":, {}:{}", i, i + 1); // [d_in, 1]
            x = x.sub(Ops.mul(x.matMul(yi).matMul(yi.transpose()), 2));
        }
        return x;
    }

    /** H V for a [d_in, k] matrix V: the folded inference factor Ṽ. */
    public static NDArray leftMultiply(NDArray v, NDArray h, Constants k) {
        NDArray y = unitColumns(h);
        return v.sub(y.matMul(wyT(y, k).matMul(y.transpose().matMul(v))));
    }
}
