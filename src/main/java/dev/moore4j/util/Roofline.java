package dev.moore4j.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libtorch matmul throughput on this machine, now: the roofline our figures are compared with. Measured once per
 * shape in a process (runs of a suite in one process share the sitting, and a slow build of the kernels, as under
 * the tests' strict MKL mode, would otherwise spend seconds on every run) and within a time budget.
 */
public final class Roofline {
    private Roofline() {}

    /** The tokens of the roofline product: large enough for the kernels' steady state, as in a training batch. */
    public static final int TOKENS = 2048;

    /** Rounds stop once this much time is spent (at least one round is timed). */
    private static final double BUDGET_SECONDS = 1.0;

    private record Dims(int tokens, int dIn, int dOut) {}

    private static final Map<Dims, Double> MEASURED = new ConcurrentHashMap<>();

    /** The roofline for a model whose widest linear input is {@code width}: [2048, width] × [width, 4·width], an FFN's up-projection. */
    public static double forWidth(NDManager parent, int width) {
        return matmulGflops(parent, TOKENS, width, 4 * width);
    }

    /** GFLOP/s of [tokens, dIn] × [dIn, dOut]: the best of up to five timed rounds of four products, measured once per process. */
    public static double matmulGflops(NDManager parent, int tokens, int dIn, int dOut) {
        return MEASURED.computeIfAbsent(new Dims(tokens, dIn, dOut), d -> measure(parent, d));
    }

    private static double measure(NDManager parent, Dims d) {
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(d.tokens(), d.dIn()));
            NDArray w = m.randomNormal(new Shape(d.dIn(), d.dOut()));
            x.matMul(w).close(); // warm up
            double best = Double.MAX_VALUE;
            long start = System.nanoTime();
            for (int r = 0; r < 5 && (r == 0 || (System.nanoTime() - start) / 1e9 < BUDGET_SECONDS); r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 4; i++) {
                    x.matMul(w).close();
                }
                best = Math.min(best, (System.nanoTime() - t0) / 4e9);
            }
            return 2.0 * d.tokens() * d.dIn() * d.dOut() / best / 1e9;
        }
    }
}
