package dev.moore4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Param;
import dev.moore4j.adapter.common.Householder;
import dev.moore4j.adapter.moore.MooreLinear;
import dev.moore4j.adapter.moore.MooreMethod;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.linalg.Svd;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.util.MemoryStats;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Layer and memory benchmarks. Every speed is also given as a ratio to a plain libtorch matmul of
 * the same shape measured in the same run (our roofline), since these machines are noisy.
 */
@Command(name = "bench", subcommands = {BenchTrainCommand.class, BenchEmbedCommand.class},
        description = "Benchmark the MoORE layer (forward+backward), WY vs sequential Householder, SVD time and MoE-ized model memory; "
                + "'bench train' times whole training steps, 'bench embed' in-process embedding.")
final class BenchCommand implements Runnable {
    @Mixin
    Common common;

    @Option(names = "--tokens", description = "Tokens per batch. Default: ${DEFAULT-VALUE}.")
    int tokens = 2048;

    @Option(names = "--iters", description = "Timed iterations (median reported). Default: ${DEFAULT-VALUE}.")
    int iters = 5;

    @Option(names = "--shapes", split = ",", description = "Layer shapes dOUTxdIN. Default: 1536x384,1024x1024.")
    List<String> shapes = List.of("1536x384", "1024x1024");

    @Option(names = "--memory-model", description = "Model whose resident memory is compared base vs MoE-ized ('none' to skip). Default: ${DEFAULT-VALUE}.")
    String memoryModel = "minilm";

    @Override
    public void run() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("threads", common.threads);
        out.put("tokens", tokens);
        List<Map<String, Object>> layers = new ArrayList<>();
        try (NDManager m = common.manager()) {
            for (String shape : shapes) {
                String[] p = shape.toLowerCase().split("x");
                layers.add(benchShape(m, Integer.parseInt(p[0]), Integer.parseInt(p[1])));
            }
        }
        out.put("layers", layers);
        if (!memoryModel.equals("none")) {
            out.put("memory", benchMemory());
        }
        if (common.json) {
            common.printJson(out);
            return;
        }
        System.out.printf("threads %d, %d tokens, median of %d%n", common.threads, tokens, iters);
        for (Map<String, Object> l : layers) {
            System.out.println(l);
        }
        if (out.containsKey("memory")) {
            System.out.println("memory: " + out.get("memory"));
        }
    }

    private Map<String, Object> benchShape(NDManager m, int dOut, int dIn) {
        float[] w = gaussian(dOut, dIn);
        int batch = 8;
        int seq = tokens / batch;
        NDArray x = m.randomNormal(new Shape(batch, seq, dIn));
        x.setRequiresGradient(true); // as inside a network: the input gradient is computed too
        NDArray x2d = m.randomNormal(new Shape(tokens, dIn));
        NDArray dy = m.randomNormal(new Shape(batch, seq, dOut));
        NDArray wInOut = m.create(w, new Shape(dOut, dIn)).transpose().duplicate();
        double flopMatmul = 2.0 * tokens * dIn * dOut;

        // Roofline: plain 2-D libtorch matmul [tokens, dIn] x [dIn, dOut], ten per timed iteration.
        double tMatmul = time(() -> {
            for (int i = 0; i < 10; i++) {
                x2d.matMul(wInOut).close();
            }
        }) / 10;

        // Plain linear, forward + backward (gradient for x and W, as full fine-tuning would need).
        Param wParam = new Param("w", wInOut.duplicate());
        double tLinear = time(() -> backward(() -> x.matMul(wParam.value()), dy));

        // SVD time for this shape (no cache).
        long t0 = System.nanoTime();
        Svd.Factors f = Svd.thin(wInOut.toFloatArray(), dIn, dOut, Svd.Precision.FP32);
        double tSvd = (System.nanoTime() - t0) / 1e9;

        int k = f.k();
        MooreMethod.Config c = MooreMethod.Config.reference();
        MooreLinear layer = new MooreLinear("bench", m.create(f.p(), new Shape(dIn, k)), m.create(f.s(), new Shape(k)),
                m.create(f.qt(), new Shape(k, dOut)), null, c, 3, 7, m);
        randomize(layer, m);
        ForwardContext ctx = ForwardContext.tasks(true, 0, 1, 2, 0, 1, 2, 0, 1);
        double tMoore = time(() -> backward(() -> layer.forward(x, ctx), dy));
        layer.setUseWy(false);
        double tMooreSeq = time(() -> backward(() -> layer.forward(x, ctx), dy));
        layer.setUseWy(true);

        // Householder chain alone, forward + backward.
        Param h = layer.householder();
        NDArray dx = m.randomNormal(new Shape(batch, seq, dIn));
        double tWy = time(() -> backward(() -> Householder.applyWy(x, h.value()), dx));
        double tSeq = time(() -> backward(() -> Householder.applySequential(x, h.value()), dx));
        double flopMooreFwdBwd = mooreFwdBwdFlops(c, dIn, dOut, k);
        double flopHouseFwd = 2.0 * tokens * 2.0 * dIn * c.householder();
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("shape", dOut + "x" + dIn);
        res.put("matmul_gflops", gflops(flopMatmul, tMatmul));
        res.put("linear_fwd_bwd_ms", tLinear * 1e3);
        res.put("linear_fwd_bwd_gflops", gflops(3 * flopMatmul, tLinear));
        res.put("moore_fwd_bwd_ms", tMoore * 1e3);
        res.put("moore_fwd_bwd_gflops", gflops(flopMooreFwdBwd, tMoore));
        res.put("moore_vs_linear_time", tMoore / tLinear);
        res.put("moore_fraction_of_matmul_roofline", gflops(flopMooreFwdBwd, tMoore) / gflops(flopMatmul, tMatmul));
        res.put("moore_sequential_householder_fwd_bwd_ms", tMooreSeq * 1e3);
        householder(res, tWy, tSeq, flopHouseFwd, gflops(flopMatmul, tMatmul));
        res.put("svd_seconds", tSvd);
        layer.close();
        return res;
    }

    private static void householder(Map<String, Object> res, double tWy, double tSeq, double flopHouseFwd, double roofline) {
        res.put("householder_wy_fwd_bwd_ms", tWy * 1e3);
        res.put("householder_seq_fwd_bwd_ms", tSeq * 1e3);
        res.put("householder_wy_speedup", tSeq / tWy);
        res.put("householder_wy_gflops", gflops(3 * flopHouseFwd, tWy));
        res.put("householder_wy_fraction_of_matmul_roofline", gflops(3 * flopHouseFwd, tWy) / roofline);
    }

    /** A [dOut, dIn] weight of N(0, 1/dIn) entries, the same every run. */
    private static float[] gaussian(int dOut, int dIn) {
        Random r = new Random(1);
        float[] w = new float[dOut * dIn];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() / Math.sqrt(dIn));
        }
        return w;
    }

    /**
     * A MoORE layer's forward and backward FLOPs over the benchmark's tokens: trainable maps (router, Householder) cost 3×
     * their forward (output, input and weight gradients); the frozen factors V and Uᵀ cost 2× (no weight gradient).
     */
    private double mooreFwdBwdFlops(MooreMethod.Config c, int dIn, int dOut, int k) {
        int ds = c.sampleRouterDim();
        int l = c.householder();
        return 2.0 * tokens * (3 * ((double) dIn * ds + (double) ds * k + 2.0 * dIn * l) + 2 * ((double) dIn * k + (double) k * dOut));
    }

    /** Perturbs the zero-initialised router so the benchmark is not of a special case. */
    private static void randomize(MooreLinear layer, NDManager m) {
        for (Param p : layer.parameters()) {
            p.set(p.value().add(Ops.mul(m.randomNormal(p.value().getShape()), 0.01)));
        }
    }

    /** Forward inside a gradient collector (DJL records only there), then backward of ⟨y, dy⟩. */
    private static void backward(Supplier<NDArray> forward, NDArray dy) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(forward.get().mul(dy).sum());
        }
    }

    private double time(Runnable body) {
        for (int i = 0; i < 2; i++) {
            try (NDScope s = new NDScope()) {
                body.run();
            }
        }
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            try (NDScope s = new NDScope()) {
                long t0 = System.nanoTime();
                body.run();
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        Arrays.sort(t);
        return t[iters / 2];
    }

    private static double gflops(double flop, double seconds) {
        return flop / seconds / 1e9;
    }

    private Map<String, Object> benchMemory() {
        Map<String, Object> res = new LinkedHashMap<>();
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(memoryModel, m)) {
            System.gc();
            long baseRss = MemoryStats.rssBytes();
            long baseBytes = MemoryStats.tensorBytes(loaded.model().manager());
            Adapter moore = Adapter.attach(loaded.model(), "moore", MooreMethod.Config.reference(), new AdaptContext(4, 42, FactorCache.disabled()));
            System.gc();
            long mooreBytes = MemoryStats.tensorBytes(loaded.model().manager()); // parameters live in the model's manager too
            res.put("model", memoryModel);
            res.put("base_tensor_mb", baseBytes / 1e6);
            res.put("moore_tensor_mb", mooreBytes / 1e6);
            res.put("moore_trainable_params", moore.trainableCount());
            res.put("rss_after_load_mb", baseRss / 1e6);
            res.put("rss_after_moeize_mb", MemoryStats.rssBytes() / 1e6);
        }
        return res;
    }
}
