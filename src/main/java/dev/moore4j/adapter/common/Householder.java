package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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

    /** T [L, L] for unit columns Y. */
    public static NDArray wyT(NDArray y) {
        int l = (int) y.getShape().get(1);
        NDManager m = y.getManager();
        // T⁻¹ = strictly-upper(YᵀY) + I/2; the masks are built by libtorch (no Java buffer for autograd to hold)
        NDArray idx = m.arange(l);
        NDArray upper = idx.expandDims(1).lt(idx.expandDims(0)).toType(y.getDataType(), false);
        NDArray half = Ops.mul(m.eye(l, l, 0, y.getDataType()), 0.5);
        NDArray gram = y.transpose().matMul(y);
        return gram.mul(upper).add(half).inverse();
    }

    /** Rows of x times H, WY form: x − ((x Y) T) Yᵀ. */
    public static NDArray applyWy(NDArray x, NDArray h) {
        NDArray y = unitColumns(h);
        return x.sub(x.matMul(y).matMul(wyT(y)).matMul(y.transpose()));
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
    public static NDArray leftMultiply(NDArray v, NDArray h) {
        NDArray y = unitColumns(h);
        return v.sub(y.matMul(wyT(y).matMul(y.transpose().matMul(v))));
    }
}
