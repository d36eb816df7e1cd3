package dev.moore4j.linalg;

import dev.moore4j.MooreException;

import org.bytedeco.openblas.global.openblas;

/**
 * Thin SVD {@code A = P diag(s) Qᵀ} of a row-major m×n matrix by LAPACK's divide-and-conquer
 * {@code ?gesdd} (OpenBLAS through JavaCPP). Singular values come out descending.
 */
public final class Svd {
    private Svd() {}

    /** P [m×k], s [k], Qᵀ [k×n], all row-major, k = min(m, n). */
    public record Factors(int m, int n, int k, float[] p, float[] s, float[] qt) {}

    /** The precision LAPACK computes in; the factors come back as floats either way. */
    public enum Precision {
        FP32,
        /** dgesdd on a double copy: the small singular values to more digits (MoORE's {@code svd_fp64}). */
        FP64
    }

    /** OpenBLAS's own thread count comes from {@code OPENBLAS_NUM_THREADS} (bin/moore sets it from --threads). */
    public static void setThreads(int threads) {
        // The JavaCPP preset does not expose openblas_set_num_threads; the environment variable governs.
    }

    /** Factorises {@code a} (m×n row-major) in the given precision. */
    public static Factors thin(float[] a, int m, int n, Precision precision) {
        boolean fp64 = precision == Precision.FP64;
        if (a.length != (long) m * n) {
            throw new IllegalArgumentException("matrix of " + a.length + " values is not " + m + "x" + n);
        }
        int k = Math.min(m, n);
        float[] p = new float[m * k];
        float[] s = new float[k];
        float[] qt = new float[k * n];
        int info;
        if (fp64) {
            double[] ad = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                ad[i] = a[i];
            }
            double[] pd = new double[m * k];
            double[] sd = new double[k];
            double[] qd = new double[k * n];
            info = openblas.LAPACKE_dgesdd(openblas.LAPACK_ROW_MAJOR, (byte) 'S', m, n, ad, n, sd, pd, k, qd, n);
            for (int i = 0; i < pd.length; i++) {
                p[i] = (float) pd[i];
            }
            for (int i = 0; i < k; i++) {
                s[i] = (float) sd[i];
            }
            for (int i = 0; i < qd.length; i++) {
                qt[i] = (float) qd[i];
            }
        } else {
            float[] copy = a.clone(); // gesdd destroys its input
            info = openblas.LAPACKE_sgesdd(openblas.LAPACK_ROW_MAJOR, (byte) 'S', m, n, copy, n, s, p, k, qt, n);
        }
        if (info != 0) {
            throw new MooreException("SVD of a " + m + "x" + n + " matrix failed (LAPACK gesdd info=" + info
                    + (info > 0 ? ", did not converge; the weight may hold NaN/Inf" : ", illegal argument") + ")");
        }
        return new Factors(m, n, k, p, s, qt);
    }
}
