package dev.moore4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.AdaptContext;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.AdapterLayer;
import dev.moore4j.adapter.Methods;
import dev.moore4j.checkpoint.Checkpoint;
import dev.moore4j.config.TrainConfig;
import dev.moore4j.io.SharedPaths;
import dev.moore4j.linalg.FactorCache;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.LinearSlot;
import dev.moore4j.model.Probe;
import dev.moore4j.model.load.ModelLoader;
import dev.moore4j.mtl.Pipeline;
import dev.moore4j.mtl.TaskModel;
import dev.moore4j.task.TaskRegistry;

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

/**
 * {@code moore adapt}: injects a method into a model; {@code --verify} compares the freshly adapted model
 * with the base (whole model and each adapted layer); {@code --save} writes a checkpoint every other
 * command reads.
 */
@Command(name = "adapt", description = "Inject an adaptation method into a model; --verify compares the adapted model with the base, --save writes a checkpoint.")
public class AdaptCommand implements Runnable {
    @Mixin
    Common common;

    @Mixin
    WeightsFlag weights;

    @Parameters(index = "0", description = "Model (alias, HF directory or llama2.c .bin).")
    String model;

    @Option(names = "--method", description = "Method (${COMPLETION-CANDIDATES}). Default: ${DEFAULT-VALUE}.", completionCandidates = MethodNames.class)
    String method = "moore";

    @Option(names = "--set", description = "Method hyperparameter key=value (repeatable), e.g. --set r=16 --set top_k=2.")
    List<String> set = new ArrayList<>();

    @Option(names = "--targets", split = ",", description = "Target module patterns (suffix, re:REGEX, all-linear, ffn, attn); same as --set targets=….")
    List<String> targets;

    @Option(names = "--tasks", split = ",", description = "Task names, suites or spec files (needed by --save), or a number of task ids. Default: 1 task id.")
    List<String> tasks = new ArrayList<>();

    @Option(names = "--seed", description = "Initialisation seed. Default: ${DEFAULT-VALUE}.")
    long seed = 42;

    @Option(names = "--verify", description = "Compare whole-model and per-layer outputs with the base model.")
    boolean verify;

    @Option(names = "--no-cache", description = "Do not read or write the SVD factor cache ($MOORE4J_CACHE or ~/.cache/moore4j).")
    boolean noCache;

    @Option(names = "--save", description = "Write the freshly adapted model (adapter and task heads) as a checkpoint directory; needs task names.")
    Path save;

    /** The method's hyperparameter overrides from the flags. */
    protected Map<String, Object> overrides() {
        Map<String, Object> o = new LinkedHashMap<>(Methods.parseAssignments(method, set));
        if (targets != null) {
            o.put("targets", targets);
        }
        return o;
    }

    private boolean namedTasks() {
        return !tasks.isEmpty() && !(tasks.size() == 1 && tasks.get(0).matches("\\d+"));
    }

    @Override
    public void run() {
        Map<String, Object> overrides = overrides();
        var config = Methods.config(method, overrides, "--set");
        if (save != null && !namedTasks()) {
            throw new MooreException("--save needs task names (e.g. --tasks cola,sst2 or a task spec file), so the checkpoint can be evaluated");
        }
        FactorCache cache = noCache ? FactorCache.disabled() : new FactorCache(SharedPaths.cache().resolve("svd"));
        try (NDManager m = common.manager(); ModelLoader.Loaded loaded = ModelLoader.load(model, m, weights.orFp32())) {
            float[] before = null;
            Map<String, float[]> probeIn = new HashMap<>();
            Map<String, float[]> probeOut = new HashMap<>();
            if (verify) {
                before = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
                for (LinearSlot s : loaded.model().linearSlots()) {
                    float[] x = randomInput(s.get().inFeatures(), s.name().hashCode());
                    probeIn.put(s.name(), x);
                    probeOut.put(s.name(), applyLayer(s, x, m));
                }
            }
            long t0 = System.nanoTime();
            Adapter adapter;
            TaskModel taskModel = null;
            TrainConfig cfg = null;
            if (namedTasks()) {
                cfg = TrainConfig.builder().model(model).method(method).tasks(tasks).adapter(overrides).seed(seed).build().validate();
                taskModel = Pipeline.build(cfg, TaskRegistry.resolveAll(tasks), loaded);
                adapter = taskModel.adapter();
            } else {
                int ids = tasks.isEmpty() ? 1 : Integer.parseInt(tasks.get(0));
                adapter = Adapter.attach(loaded.model(), method, config, new AdaptContext(ids, seed, cache));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("method", method);
            out.put("model", model);
            out.put("config", adapter.configJson());
            out.put("trainable", adapter.trainableCount());
            out.put("seconds", seconds);
            List<Map<String, Object>> layers = adapter.layers();
            if (verify) {
                layerDiffs(layers, loaded, probeIn, probeOut, m);
                float[] after = Probe.outputs(loaded.model(), loaded.tokenizer(), ForwardContext.inference());
                out.put("max_rel_diff", Probe.maxRelDiff(after, before));
                out.put("exact_at_init", Methods.get(method).exactAtInit());
            }
            out.put("layers", layers);
            if (save != null) {
                Checkpoint.save(save, taskModel, cfg, model, null);
                out.put("saved", save.toString());
            }
            print(out, layers);
        }
    }

    private void print(Map<String, Object> out, List<Map<String, Object>> layers) {
        if (common.json) {
            common.printJson(out);
            return;
        }
        System.out.printf("%s: %s on %d modules in %.2f s, %,d trainable parameters%n", model, method, layers.size(), (Double) out.get("seconds"),
                (Long) out.get("trainable"));
        for (Map<String, Object> l : layers) {
            System.out.printf("  %-50s %-16s %,10d%s%n", l.get("name"), l.get("module"), (Long) l.get("trainable"),
                    l.containsKey("max_rel_diff") ? String.format("  max rel diff %.2e", (Double) l.get("max_rel_diff")) : "");
        }
        if (verify) {
            System.out.printf("whole model: max |y - y_base| / max |y_base| = %.3e%s%n", (Double) out.get("max_rel_diff"),
                    Methods.get(method).exactAtInit() ? "" : " (this method is not exact at initialisation by design)");
        }
        if (save != null) {
            System.out.println("saved " + save);
        }
    }

    /** Each adapted layer's largest relative difference from its base output on its probe input. */
    private static void layerDiffs(List<Map<String, Object>> layers, ModelLoader.Loaded loaded, Map<String, float[]> probeIn, Map<String, float[]> probeOut,
                                   NDManager m) {
        for (Map<String, Object> l : layers) {
            LinearSlot slot = loaded.model().linearSlots().stream().filter(s -> s.name().equals(l.get("name"))).findFirst().orElse(null);
            if (slot != null && slot.get() instanceof AdapterLayer) {
                l.put("max_rel_diff", Probe.maxRelDiff(applyLayer(slot, probeIn.get(slot.name()), m), probeOut.get(slot.name())));
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

    /** Method names for --help. */
    static final class MethodNames extends ArrayList<String> {
        MethodNames() {
            super(Methods.names());
        }
    }
}
