package dev.moore4j.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

/** libtorch matmul throughput on this machine, now: the roofline our figures are compared with. */
public final class Roofline {
    private Roofline() {}

    /** GFLOP/s of [tokens, dIn] × [dIn, dOut] (best of five timed rounds of four products). */
    public static double matmulGflops(NDManager parent, int tokens, int dIn, int dOut) {
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(tokens, dIn));
            NDArray w = m.randomNormal(new Shape(dIn, dOut));
            x.matMul(w).close(); // warm up
            double best = Double.MAX_VALUE;
            for (int r = 0; r < 5; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 4; i++) {
                    x.matMul(w).close();
                }
                best = Math.min(best, (System.nanoTime() - t0) / 4e9);
            }
            return 2.0 * tokens * dIn * dOut / best / 1e9;
        }
    }
}
