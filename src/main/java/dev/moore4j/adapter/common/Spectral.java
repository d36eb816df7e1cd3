package dev.moore4j.adapter.common;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.moore4j.linalg.FactorCache;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.DenseLinear;
import dev.moore4j.model.Ops;

/**
 * SVD initialisation shared by MoORE, PiSSA, MiLoRA and GOAT: the singular triplets of a frozen layer
 * through the factor cache (each pretrained weight is factorised once per machine), and the PiSSA split
 * of chosen triplets into LoRA factors.
 */
public final class Spectral {
    private Spectral() {}

    /**
     * W = U diag(s) Vᵀ of a layer, from the SVD of its in-out weight Wᵀ = P diag(s) Qᵀ (so U = Q, V = P).
     *
     * @param v  V row-major [d_in, k]
     * @param s  singular values, descending [k]
     * @param ut Uᵀ row-major [k, d_out]
     */
    public record Triplets(int dIn, int dOut, int k, float[] v, float[] s, float[] ut, boolean cached) {}

    public static Triplets of(DenseLinear w, FactorCache cache, Svd.Precision precision) {
        NDArray wInOut = w.weightInOut();
        int dIn = w.inFeatures();
        int dOut = w.outFeatures();
        NDArray wide = wInOut.toType(DataType.FLOAT32, false); // fp16 widened, fp64 (the gradient tests) narrowed: the SVD reads fp32
        float[] values = wide.toFloatArray();
        if (wide != wInOut) {
            wide.close();
        }
        FactorCache.Result r = cache.factorise(values, dIn, dOut, precision);
        Svd.Factors f = r.factors();
        return new Triplets(dIn, dOut, f.k(), f.p(), f.s(), f.qt(), r.cached());
    }

    /**
     * PiSSA's split of the triplets {@code idx}, each scaled by {@code 1/c}: {@code A = diag(√(s/c)) V_idxᵀ}
     * [n, d_in] and {@code Bᵀ = diag(√(s/c)) U_idxᵀ} [n, d_out], so that {@code c·B A = Σ_idx s_i u_i v_iᵀ}.
     */
    public static NDArray[] split(Triplets t, int[] idx, double c, NDManager m, DataType dt) {
        float[] a = new float[idx.length * t.dIn()];
        float[] bt = new float[idx.length * t.dOut()];
        for (int row = 0; row < idx.length; row++) {
            int i = idx[row];
            double root = Math.sqrt(t.s()[i] / c);
            for (int j = 0; j < t.dIn(); j++) {
                a[row * t.dIn() + j] = (float) (root * t.v()[j * t.k() + i]);
            }
            for (int o = 0; o < t.dOut(); o++) {
                bt[row * t.dOut() + o] = (float) (root * t.ut()[i * t.dOut() + o]);
            }
        }
        return new NDArray[] {Init.create(m, a, dt, idx.length, t.dIn()), Init.create(m, bt, dt, idx.length, t.dOut())};
    }

    /**
     * {@code W_res = W − c·Aᵀ B} in the in-out layout, for factors {@code ab = {A [r, d_in], B [r, d_out]}} from
     * {@link #split}. Its temporaries are closed at once: the transpose is a view of A, which training updates in place.
     */
    public static NDArray residual(NDArray wio, NDArray[] ab, double c) {
        NDArray at = ab[0].transpose();
        NDArray product = at.matMul(ab[1]);
        NDArray delta = Ops.mul(product, c);
        NDArray residual = wio.sub(delta);
        at.close();
        product.close();
        delta.close();
        return residual;
    }

    /** Indices from..from+n−1. */
    public static int[] range(int from, int n) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = from + i;
        }
        return idx;
    }
}
