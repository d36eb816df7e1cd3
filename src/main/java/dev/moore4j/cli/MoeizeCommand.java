package dev.moore4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.TargetMatcher;
import dev.moore4j.adapter.moore.MoEizer;
import dev.moore4j.adapter.moore.MooreConfig;
import dev.moore4j.adapter.moore.MooreModel;
import dev.moore4j.io.ModelLoader;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Probe;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

@Command(name = "moeize", description = "Factorise the target layers of a model into MoORE layers; --verify checks the result equals the base model.")
final class MoeizeCommand implements Runnable {
    @Mixin
    Common common;

    @Parameters(index = "0", description = "Model (alias, HF directory or llama2.c .bin).")
    String model;

    @Option(names = "--targets", split = ",", description = "Target module patterns (suffix, re:REGEX or all-linear). Default: all attention and FFN projections.")
    List<String> targets = new ArrayList<>();

    @Option(names = "--tasks", description = "Number of task ids. Default: ${DEFAULT-VALUE}.")
    int tasks = 1;

    @Option(names = "--householder", description = "Householder vectors L (even). Default: ${DEFAULT-VALUE}.")
    int householder = 8;

    @Option(names = "--verify", description = "Compare whole-model and per-layer outputs with the base model.")
    boolean verify;

    @Option(names = "--svd-fp64", description = "Factorise in double precision.")
    boolean svdFp64;

    @Option(names = "--no-cache", description = "Do not read or write the SVD factor cache ($MOORE4J_CACHE or ~/.cache/moore4j).")
    boolean noCache;

    @Option(names = "--save", description = "Write the (initial) adapter to this directory.")
    Path save;

    @Override
    public void run() {
        MooreConfig config = new MooreConfig(tasks, 64, 128, householder, targets, 42L, svdFp64);
        FactorCache cache = noCache ? FactorCache.disabled() : new FactorCache(SharedPaths.cache().resolve("svd"));
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m)) {
            float[] before = null;
            Map<String, float[]> probeIn = new HashMap<>();
            Map<String, float[]> probeOut = new HashMap<>();
            if (verify) {
                before = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
                for (LinearSlot s : TargetMatcher.select(loaded.model().linearSlots(), config.targets())) {
                    float[] x = randomInput(s.get().inFeatures(), s.name().hashCode());
                    probeIn.put(s.name(), x);
                    probeOut.put(s.name(), applyLayer(s, x, m));
                }
            }
            long t0 = System.nanoTime();
            MooreModel moore = MoEizer.moeize(loaded.model(), config, cache);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model);
            out.put("layers_moeized", moore.layers().size());
            out.put("trainable_parameters", moore.trainableParameterCount());
            out.put("seconds", seconds);
            List<Map<String, Object>> layers = new ArrayList<>();
            for (MoEizer.LayerReport r : moore.reports()) {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("name", r.name());
                l.put("shape", List.of(r.dOut(), r.dIn()));
                l.put("seconds", r.seconds());
                l.put("cached", r.cached());
                if (verify) {
                    LinearSlot slot = loaded.model().linearSlots().stream().filter(s -> s.name().equals(r.name())).findFirst().orElseThrow();
                    l.put("max_rel_diff", Probe.maxRelDiff(applyLayer(slot, probeIn.get(r.name()), m), probeOut.get(r.name())));
                }
                layers.add(l);
            }
            out.put("layers", layers);
            if (verify) {
                float[] after = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
                out.put("max_rel_diff", Probe.maxRelDiff(after, before));
            }
            if (save != null) {
                moore.save(save, model);
                out.put("saved", save.toString());
            }
            if (common.json) {
                common.printJson(out);
                return;
            }
            System.out.printf("%s: %d layers MoE-ized in %.2f s, %,d trainable parameters%n", model, moore.layers().size(), seconds,
                    moore.trainableParameterCount());
            for (Map<String, Object> l : layers) {
                System.out.printf("  %-50s %-12s %6.3f s%s%s%n", l.get("name"), l.get("shape"), (Double) l.get("seconds"),
                        Boolean.TRUE.equals(l.get("cached")) ? " (cached)" : "",
                        verify ? String.format("  max rel diff %.2e", (Double) l.get("max_rel_diff")) : "");
            }
            if (verify) {
                System.out.printf("whole model: max |y - y_base| / max |y_base| = %.3e%n", (Double) out.get("max_rel_diff"));
            }
        }
    }

    private static float[] randomInput(int dIn, long seed) {
        Random r = new Random(seed);
        float[] x = new float[4 * 16 * dIn];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static float[] applyLayer(LinearSlot s, float[] x, NDManager m) {
        try (NDScope scope = new NDScope()) {
            NDArray in = m.create(x, new Shape(4, 16, s.get().inFeatures()));
            return s.forward(in, ForwardContext.inference()).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }
}
